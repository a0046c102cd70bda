"""Vocabulary for the seeded demo catalogue (libnet.demo): German and English catalogue words.

People, titles, series volumes, summaries, subjects, films and bands are invented, made up in
German and English to look like a Ruhr public library's stock (a match with a real book is
chance). Publisher and label names are real, with their towns and ISBN prefixes, so that
imprints and ISBNs look as they do in real records; a few series names are real too (Die drei
???, Conni, Warrior Cats), their volume titles are not. Tables are written in the source as
"|"-separated text and parsed once on import by parse_table and _words.
"""

from __future__ import annotations

from dataclasses import dataclass


def parse_table(text: str) -> list[list[str]]:
    """Rows of a "|"-separated table written in the source, cells stripped."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|"))


FEMALE = _words(
    "Anna | Bärbel | Christine | Doris | Elke | Frauke | Gisela | Hanna | Inge | Jana | Käthe | "
    "Lena | Maren | Nicole | Renate | Sabine | Ulrike | Zoë | Hélène | Özlem | Jördis | "
    "Marlene | Charlotte | Katrin | Mareike | Sünje | Dörte | Françoise | Agnieszka | Ayşe"
)
MALE = _words(
    "Andreas | Bernd | Björn | Dieter | Frank | Günter | Hans-Jürgen | Jörg | Jürgen | Klaus | "
    "Lars | Matthias | Norbert | Ralf | Sören | Stefan | Thomas | Uwe | Volker | Wolfgang | "
    "René | François | Mehmet | Till | Jörn | Malte | Hüseyin | Krzysztof | Torsten | Ömer"
)
SURNAMES = _words(
    "Müller | Schäfer | Groß | Köhler | Weiß | Schröder | Krüger | Böhm | Jäger | Hoffmann | "
    "Schulz | Becker | Wagner | Koch | Richter | Klein | Wolf | Neumann | Schwarz | Zimmermann | "
    "Braun | Hartmann | Lange | Schmitt | Werner | Krause | Meier | Lehmann | König | Walter | "
    "Huber | Kaiser | Fuchs | Peters | Scholz | Möller | Jung | Hahn | Vogel | Keller | "
    "Günther | Frank | Berger | Winkler | Roth | Lorenz | Baumann | Krämer | Vogt | Stein | "
    "Sommer | Seidel | Brandt | Haas | Schulte | Dietrich | Kühn | Pohl | Engel | Horn | Busch | "
    "Bergmann | Voß | Sauer | Pfeiffer | Kowalski | Nowak | Schimanski | Wischnewski | Öztürk | "
    "Yıldız | Demir | Şahin | Çelik | Gößling | Düsterhöft | Lüdenscheidt | Brüggemann | "
    "Große-Wächter | Tölle | Heßling | Schürmann | Overbeck | Rüther | Wübbeling | Kötter | "
    "Dreßler | Fröhlich | Märtens | Lefèvre | Brühl | Strauß"
)
EN_FIRST = _words(
    "Emma | Oliver | Sophie | James | Charlotte | Harry | Amelia | George | Grace | Daniel | "
    "Ruth | Michael | Siobhan | Liam | Chloé"
)
EN_SURNAMES = _words(
    "Smith | Miller | Taylor | Brown | O'Connor | Walsh | Hughes | Clarke | Fletcher | "
    "Whitaker | Donovan | Harris | Ashworth | Pemberton"
)
RUHR = _words(
    "Recklinghausen | Marl | Dorsten | Gladbeck | Herten | Datteln | Waltrop | Haltern am See | "
    "Castrop-Rauxel | Oer-Erkenschwick | Bochum | Gelsenkirchen | Essen | Dortmund | Bottrop | "
    "Herne"
)

# key | name as RDA records give it | as RAK records give it | place | ISBN prefixes
# (a publisher's next prefix is used when one runs out)
PUBLISHERS = {
    row[0]: (
        (row[1], row[2]),
        row[3],
        tuple(tuple(prefix.split("-")) for prefix in row[4].split()),
    )
    for row in parse_table("""
rowohlt          | Rowohlt                    | Rowohlt-Verl.             | Hamburg    | 3-498
rowohlt-tb       | Rowohlt Taschenbuch Verlag | Rowohlt-Taschenbuch-Verl. | Reinbek    | 3-499
carlsen          | Carlsen                    | Carlsen                   | Hamburg    | 3-551
dtv              | dtv                        | Dt. Taschenbuch-Verl.     | München    | 3-423
suhrkamp         | Suhrkamp                   | Suhrkamp                  | Berlin     | 3-518
ravensburger     | Ravensburger               | Ravensburger Buchverl.    | Ravensburg | 3-473
hanser           | Hanser                     | Hanser                    | München    | 3-446
oetinger         | Verlag Friedrich Oetinger  | Oetinger                  | Hamburg    | 3-7891 3-7512
kiwi             | Kiepenheuer & Witsch       | Kiepenheuer und Witsch    | Köln       | 3-462
fischer          | Fischer Taschenbuch        | Fischer-Taschenbuch-Verl. | Frankfurt  | 3-596
diogenes         | Diogenes                   | Diogenes                  | Zürich     | 3-257
kosmos           | Kosmos                     | Franckh-Kosmos            | Stuttgart  | 3-440
gu               | Gräfe und Unzer            | Gräfe und Unzer           | München    | 3-8338
arena            | Arena                      | Arena                     | Würzburg   | 3-401
loewe            | Loewe                      | Loewe                     | Bindlach   | 3-7855 3-7432
heyne            | Heyne                      | Heyne                     | München    | 3-453
goldmann         | Goldmann                   | Goldmann                  | München    | 3-442
piper            | Piper                      | Piper                     | München    | 3-492
klartext         | Klartext                   | Klartext-Verl.            | Essen      | 3-8375 3-89861
emons            | Emons                      | Emons                     | Köln       | 3-89705 3-95451 3-7408
grafit           | Grafit                     | Grafit                    | Dortmund   | 3-89425 3-89426
gmeiner          | Gmeiner                    | Gmeiner                   | Meßkirch   | 3-8392
beltz            | Beltz & Gelberg            | Beltz und Gelberg         | Weinheim   | 3-407
aufbau           | Aufbau                     | Aufbau-Verl.              | Berlin     | 3-351
hoerverlag       | Der Hörverlag              | Der Hörverl.              | München    | 3-8445 3-89940
argon            | Argon                      | Argon-Verl.               | Berlin     | 3-8398 3-7324
hoerbuch-hamburg | Hörbuch Hamburg            | Hörbuch Hamburg           | Hamburg    | 3-89903 3-95713
penguin          | Penguin Books              | Penguin                   | London     | 0-14
bloomsbury       | Bloomsbury                 | Bloomsbury Publishing     | London     | 1-4088 1-4729 1-5266
""")  # noqa: E501
}
# key | RDA form | RAK form | MARC country code (008/15-17)
PLACES = {
    row[0]: (row[1], row[2], f"{row[3]:<3}")
    for row in parse_table("""
Hamburg    | Hamburg             | Hamburg            | gw
Reinbek    | Reinbek bei Hamburg | Reinbek b. Hamburg | gw
München    | München             | München            | gw
Berlin     | Berlin              | Berlin             | gw
Ravensburg | Ravensburg          | Ravensburg         | gw
Köln       | Köln                | Köln               | gw
Frankfurt  | Frankfurt am Main   | Frankfurt, M.      | gw
Zürich     | Zürich              | Zürich             | sz
Stuttgart  | Stuttgart           | Stuttgart          | gw
Würzburg   | Würzburg            | Würzburg           | gw
Bindlach   | Bindlach            | Bindlach           | gw
Essen      | Essen               | Essen              | gw
Dortmund   | Dortmund            | Dortmund           | gw
Meßkirch   | Meßkirch            | Meßkirch           | gw
Weinheim   | Weinheim            | Weinheim           | gw
London     | London              | London             | enk
""")
}
# DVD and CD labels carry EANs, not ISBNs: the first four make DVDs, the last two CDs
LABELS = tuple(
    (row[0], row[1])
    for row in parse_table("""
Universum Film              | München
Studiocanal                 | Berlin
Warner Home Video           | Hamburg
Concorde Home Entertainment | München
Sony Music                  | Berlin
Universal Music             | Berlin
""")
)
BY_GENRE = {
    "crime": _words("emons | grafit | gmeiner | kiwi | rowohlt | piper | goldmann"),
    "novel": _words("kiwi | hanser | suhrkamp | rowohlt | diogenes | aufbau | piper | dtv"),
    "paperback": _words("dtv | fischer | rowohlt-tb | heyne | goldmann"),
    "english": _words("penguin | bloomsbury"),
    "children": _words("carlsen | oetinger | ravensburger | arena | loewe | beltz"),
    "nonfiction": _words("gu | kosmos | klartext | dtv | rowohlt-tb | hanser"),
    "audio": _words("hoerverlag | argon | hoerbuch-hamburg"),
}

CRIME_TITLES = _words(
    "Tod am Kanal | Tod in der Zeche | Mord auf der Halde | Tod an der Lippe | Schwarzes Gold | "
    "Kalte Asche | Tödliche Schicht | Stilles Revier | Grubengold | Zechenblut | "
    "Der Tote vom Förderturm | Mord im Stadthafen | Die Frau am Wehr | "
    "Schatten über der Emscher | Bittere Kohle | Letzte Schicht | Tiefer Schacht | "
    "Das Schweigen der Halde | Mord unter Tage | Kumpeltod | Der Schrei am Baggersee | "
    "Dunkle Wasser | Tod im Kreishaus | Totenruhe | Sturmflut im Revier"
)
NOVEL_TITLES = _words(
    "Die Tochter des Uhrmachers | Das Haus am See | Der Sommer der Schwalben | "
    "Wo die Kraniche ziehen | Was wir uns verschwiegen | Die Frauen vom Lindenhof | "
    "Ein Winter in Münster | Das Lied der Lerchen | Die Apothekerin | Der Fährmann | "
    "Zwischen den Jahren | Das Erbe der Bergmannsfrau | Die Rosen von Herten | "
    "Unter dem Förderturm | Die Schwestern vom Kanal | Jahre des Lichts | "
    "Der lange Weg nach Hause | Das Glück der späten Jahre | Die Kinder der Kolonie | "
    "Eine Straße in Bottrop | Nachtzug nach Triest | Das Leuchten über der Stadt | "
    "Die Gärten von Haltern | Der Brief aus Danzig | Ein Haus voller Stimmen"
)
EN_TITLES = _words(
    "The Silent Harbour | The Hidden Garden | The Last Letter | A Winter in Yorkshire | "
    "The Promise Keeper | A Summer in Cornwall | The Lighthouse Keeper's Daughter | "
    "Small Mercies | The Glass House | Northern Lights | The Orchard | Salt and Iron"
)
# the deduplicator's trap: one short title, many different books
GENERIC_TITLES = _words(
    "Gedichte | Erzählungen | Kochbuch | Briefe | Tagebuch | Geschichten | Märchen | "
    "Aufzeichnungen | Poems"
)
CHILD_TITLES = _words(
    "{name} und der kleine Drache | {name} und das Geheimnis im Garten | "
    "Die Bande vom Zechenplatz | {name} findet einen Freund | Das geheime Baumhaus | "
    "{name} und die Glitzerfee | Ein Pony für {name} | {name} rettet den Wald | "
    "Die Piraten vom Baggersee | Der mutige kleine Fuchs | {name} hat keine Angst | "
    "Die wilde Jagd nach dem Schatz | {name} und der verschwundene Hund | "
    "Gute Nacht, kleiner Bär | {name} im Zauberwald | Fußballfieber in {place}"
)
CHILD_NAMES = _words(
    "Lotta | Paul | Mia | Ben | Emma | Jonas | Leni | Mats | Zeynep | Jürgen | Käthe | Björn | "
    "Ömer | Lene"
)


@dataclass(frozen=True, slots=True)
class _Series:
    """A numbered series: each volume its own work, with the series and $v in 490/830."""

    name: str
    publisher: str
    pages: tuple[int, int]
    age: int | None
    subjects: tuple[str, ...]
    audio: bool
    patterns: tuple[str, ...]


# series | publisher | pages | age (- for adults) | subjects | audiobook of every volume |
# title patterns ("/"-separated)
SERIES = tuple(
    _Series(row[0], row[1], (int(row[2].split("-")[0]), int(row[2].split("-")[1])),
            None if row[3] == "-" else int(row[3]), _words(row[4].replace("/", "|")),
            row[5] == "yes", _words(row[6].replace("/", "|")))
    for row in parse_table("""
Die drei ???                    | kosmos  | 120-160 | 10 | Detektiv / Abenteuer        | yes | Die drei ??? und der {adj} {noun} / Die drei ??? und die {adjf} {nounf}
Conni                           | carlsen | 24-64   | 4  | Alltag / Kindergarten       | no  | Conni {does}
Warrior Cats                    | beltz   | 260-340 | 12 | Katze / Fantasy             | no  | {phrase}
Die Kohlenpott-Kids             | arena   | 96-160  | 8  | Detektiv / Ruhrgebiet       | yes | Die Kohlenpott-Kids und der {adj} {noun}
Emil & Ella                     | loewe   | 48-72   | 6  | Freundschaft / Erstlesebuch | no  | Emil & Ella {does}
Ein Fall für Kommissarin Köhler | grafit  | 280-400 | -  | Kriminalroman / Ruhrgebiet  | no  | {crime}
""")  # noqa: E501
)  # fmt: skip
SERIES_BY_NAME = {series.name: series for series in SERIES}
ADJ = _words(
    "schwarze | singende | verschwundene | geheime | tanzende | flüsternde | gläserne | "
    "unheimliche | rote | stumme"
)
NOUN = _words(
    "Papagei | Geist | Schatz | Drache | Spiegel | Fluch | Kobold | Schlüssel | Förderturm | Teufel"
)
ADJF = _words("schwarze | verlorene | flüsternde | rätselhafte | gläserne | stumme")
NOUNF = _words("Maske | Insel | Spur | Mumie | Zeche | Geisterbahn | Höhle | Uhr")
DOES = _words(
    "geht zum Zahnarzt | lernt schwimmen | fährt ans Meer | hat Geburtstag | backt Plätzchen | "
    "zieht um | kommt in die Schule | macht Musik | im Krankenhaus | und der Schnee | "
    "geht in den Zoo | fährt Fahrrad | auf dem Bauernhof"
)
CATS = _words(
    "In die Wildnis | Feuer und Eis | Geheimnis des Waldes | Vor dem Sturm | "
    "Gefährliche Spuren | Stunde der Finsternis | Mitternacht | Mondschein | Morgenröte | "
    "Sternenglanz | Dämmerung | Sonnenuntergang"
)
# titles ("/"-separated) | subjects | call number notation | subtitles
NONFICTION = tuple(
    (
        _words(row[0].replace("/", "|")),
        _words(row[1].replace("/", "|")),
        row[2],
        _words(row[3].replace("/", "|")),
    )
    for row in parse_table("""
Kochen für Einsteiger / Vegetarisch kochen / Schnelle Küche / Die Ruhrpott-Küche / Backen mit Kindern / Suppen und Eintöpfe | Kochen / Rezept | Xh 1 | Mit 120 Rezepten / Schritt für Schritt erklärt
Gärtnern auf dem Balkon / Der Naturgarten / Gemüse im Hochbeet / Obstbäume schneiden | Gartenbau / Balkon / Gemüsebau | Xkg | Das Praxisbuch / Ein Ratgeber
Radwandern im Ruhrgebiet / Industriekultur im Revier / Zechen und Halden / Ausflüge zwischen Lippe und Emscher / Das Vest Recklinghausen | Ruhrgebiet / Industriekultur / Reiseführer | Emw 6 | Touren, Karten, Tipps
Gesund durch den Winter / Yoga für den Rücken / Besser schlafen / Heilpflanzen für jeden Tag | Gesundheit / Yoga / Naturheilkunde | Vbf | Ein Ratgeber / Das Übungsbuch
Windows 11 / Das Smartphone-Buch / Fotografieren mit dem Handy / Programmieren lernen mit Python / Excel im Büro | Computer / Smartphone / Programmierung | Nmz | Für Einsteiger / Das Handbuch
Das Jahrhundert der Kohle / Kleine Geschichte Westfalens / Die Römer an der Lippe / Frauen im Bergbau | Geschichte / Bergbau / Westfalen | Ego | Eine Spurensuche / Von den Anfängen bis heute
Wandern im Sauerland / Mit dem Rad durch das Münsterland / Nordseeküste / Städtereise Amsterdam | Reiseführer / Wandern / Radwandern | Ere | Touren, Karten, Tipps
Das Trotzalter verstehen / Wenn Kinder trauern / Gelassen durch die Pubertät | Erziehung / Kind / Pubertät | Dp | Ein Ratgeber für Eltern
Vögel im Garten / Pilze sammeln / Bäume bestimmen / Insekten entdecken | Vögel / Pilze / Bäume / Insekten | Ukm | Der Naturführer
""")  # noqa: E501
)
# a work in volumes: title | volume titles | subjects
MULTIPART = tuple(
    (row[0], _words(row[1].replace("/", "|")), _words(row[2].replace("/", "|")))
    for row in parse_table("""
Geschichte des Ruhrgebiets   | Von den Anfängen bis 1850 / Das Zeitalter der Industrie / Strukturwandel nach 1958 | Ruhrgebiet / Geschichte
Lexikon der Heilpflanzen     | A - K / L - Z                                                                    | Heilpflanzen / Lexikon
Handbuch Vest Recklinghausen | Städte und Gemeinden / Kultur und Freizeit                                       | Vest Recklinghausen / Landeskunde
Westfälische Geschichte      | Mittelalter / Frühe Neuzeit / Das 19. Jahrhundert / Das 20. Jahrhundert          | Westfalen / Geschichte
""")  # noqa: E501
)
FILMS = (("Komödie", "Kom"), ("Drama", "Dra"), ("Thriller", "Thr"), ("Krimi", "Kri"),
          ("Dokumentarfilm", "Dok"), ("Liebesfilm", "Lie"))  # fmt: skip
FILM_TITLES = _words(
    "Sommer in Herne | Die Nacht der Füchse | Kohle und Liebe | Revierflüstern | "
    "Der Schwimmmeister | Wir sind Zeche | Himmel über dem Pott | Tor zur Welt | Die Rückkehr | "
    "Grenzgänger | Halbe Sachen | Das große Schweigen"
)
BANDS = _words(
    "Die Zechenbarone | Kohlenstaub | Lippe-Trio | Schachtzeichen | Die Förderräder | Halde 7 | "
    "Grubenlicht"
)
ALBUMS = _words(
    "Glück auf | Live in Bochum | Unter Tage | Nachtschicht | Revierlieder | Herz aus Kohle | "
    "Flutlicht | Heimweh nach Herne"
)
SONGS = _words(
    "Glück auf, Kumpel | Wenn der Pott brennt | Kanalblau | Letzte Schicht | Halde im Nebel | "
    "Mein Revier | Flutlicht | Nachtschicht | Grubengold | Zurück nach Marl"
)
CRIME_SUMMARY = _words(
    "Ein Bergmann wird tot am Fuß des Förderturms gefunden. | "
    "Auf der Halde liegt eine Leiche, und niemand will etwas gesehen haben. | "
    "Eine Lehrerin verschwindet spurlos aus ihrer Wohnung. | Im Kanal treibt ein toter Juwelier."
)
CRIME_TWIST = _words(
    "Die Spur führt zurück in die Zeit, als die Zechen schlossen. | "
    "Bald gerät die Kommissarin selbst ins Visier des Täters. | "
    "Doch das Viertel hält zusammen und schweigt."
)
NOVEL_SUMMARY = _words(
    "kehrt nach Jahren zurück nach | erbt ein altes Haus in | beginnt ein neues Leben in | sucht in"
)
NOVEL_TWIST = _words(
    "Dort stößt sie auf ein Familiengeheimnis, das alles verändert. | "
    "Eine Begegnung stellt ihr Leben auf den Kopf. | "
    "Zwischen Vergangenheit und Gegenwart muss sie sich entscheiden."
)
CHILD_SUMMARY = _words(
    "ist neu in der Klasse. | hat einen großen Wunsch. | "
    "findet im Garten ein geheimnisvolles Ei. | will unbedingt mutig sein."
)
CHILD_TWIST = _words(
    "Zusammen mit den Freunden beginnt ein aufregendes Abenteuer. | "
    "Dabei lernt man, was Freundschaft bedeutet. | "
    "Eine spannende Geschichte zum Vorlesen und Selberlesen."
)
NOVEL_SUBJECTS = _words(
    "Familie | Liebe | Freundschaft | Frau | Heimat | Ruhrgebiet | Geschichte 1950-1980"
)
CHILD_SUBJECTS = _words(
    "Freundschaft | Abenteuer | Tiere | Schule | Pferd | Fußball | Geschwister | Mut | Hexe | "
    "Drache"
)
