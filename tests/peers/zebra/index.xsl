<?xml version="1.0" encoding="UTF-8"?>
<!-- MARCXML record -> Zebra's indexing format (z:record with z:index elements).
     Index names are Bib-1 names (bib1.att); cql2pqf.txt maps CQL onto them.
     :w words, :p phrase, :s sort key, :n numeric, :0 the whole value as one token. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:m="http://www.loc.gov/MARC21/slim"
    xmlns:z="http://indexdata.com/zebra-2.0"
    exclude-result-prefixes="m">
  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:template match="/">
    <xsl:apply-templates select="//m:record[1]"/>
  </xsl:template>

  <xsl:template match="m:record">
    <xsl:variable name="id" select="normalize-space(m:controlfield[@tag='001'])"/>
    <!-- z:id makes 001 the record's identity: indexing the same 001 again replaces the
         record; leader/05 'd' removes it (adelete: no error when it is not there) -->
    <z:record z:id="{$id}">
      <xsl:attribute name="z:type">
        <xsl:choose>
          <xsl:when test="substring(m:leader, 6, 1) = 'd'">adelete</xsl:when>
          <xsl:otherwise>update</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <z:index name="Local-number:0 Local-number:w"><xsl:value-of select="$id"/></z:index>
      <!-- 005 is yyyymmddhhmmss.f; the day, as a number, is what incremental harvests ask -->
      <xsl:for-each select="m:controlfield[@tag='005']">
        <z:index name="Date/time-last-modified:n">
          <xsl:value-of select="substring(normalize-space(.), 1, 8)"/>
        </z:index>
      </xsl:for-each>
      <xsl:for-each select="m:datafield[@tag='245']">
        <z:index name="Title:w Title:p Any:w">
          <xsl:value-of select="normalize-space(concat(m:subfield[@code='a'], ' ', m:subfield[@code='b']))"/>
        </z:index>
      </xsl:for-each>
      <xsl:for-each select="m:datafield[@tag='100' or @tag='110' or @tag='700' or @tag='710']">
        <z:index name="Author:w Author:p Any:w">
          <xsl:value-of select="normalize-space(m:subfield[@code='a'])"/>
        </z:index>
      </xsl:for-each>
      <xsl:for-each select="m:datafield[starts-with(@tag, '6')]/m:subfield[@code='a']">
        <z:index name="Subject-heading:w Subject-heading:p Any:w">
          <xsl:value-of select="normalize-space(.)"/>
        </z:index>
      </xsl:for-each>
      <!-- the ISBN as written and without hyphens; "$a 3-16-148410-0 (Gb.)" keeps the first word -->
      <xsl:for-each select="m:datafield[@tag='020']/m:subfield[@code='a']">
        <xsl:variable name="isbn" select="substring-before(concat(normalize-space(.), ' '), ' ')"/>
        <z:index name="ISBN:w ISBN:0"><xsl:value-of select="$isbn"/></z:index>
        <z:index name="ISBN:w ISBN:0"><xsl:value-of select="translate($isbn, '-', '')"/></z:index>
      </xsl:for-each>
    </z:record>
  </xsl:template>
</xsl:stylesheet>
