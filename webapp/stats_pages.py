"""The loan network's county statistics (being written)."""

from flask import Blueprint

bp = Blueprint("stats_pages", __name__)
