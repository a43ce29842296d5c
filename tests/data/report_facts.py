"""Every fact of shared/seed/READING.md, sections 1–6, as the rendered report states
it (German). The report test checks each appears, in the seed's order of sections."""

HEADER = [
    "Umsetzung des Konzeptes zur Integration von Migrantinnen und Migranten 2009",
    "Juli 2009",
    "März 2014",
    "Beratung des Ausländerbeirates Dresden",
    "16. Dezember 2014",
    "Integrations- und Ausländerbeauftragten",
]

SECTIONS = [
    (
        "1. Grundlagen für die Umsetzung",
        [
            "Konzept zur Integration von Migrantinnen und Migranten 2009",
            "Handlungsplan zur verwaltungsinternen Umsetzung des Integrationskonzeptes (IK)",
            "ab 1. Juli 2009 in Kraft getreten",
            "definiert Organisationsstrukturen, Aufgaben und Rollen",
            "der Steuerungsgruppe",
            "der handlungsfeldbezogenen Facharbeitsgruppen",
            "der Integrations- und Ausländerbeauftragten",
            "definiert Rechenschaftslegung sowie Fortschreibung des IK",
            "Die Facharbeitsgruppen arbeiteten bis Mai 2013.",
            # the seed's words, not the later concept's title (that comes from elsewhere)
            "Deren Mitglieder wurden bei der Erarbeitung des Integrationskonzeptes 2015–2020 "
            "einbezogen.",
        ],
    ),
    (
        "2. Mitwirkende",
        [
            "FAG 1: Wirtschaft, Arbeit, Berufsausbildung",
            "Cabana, ÖIZ e. V.",
            "Caritas-Jugendmigrationsdienst",
            "KIW-Gesellschaft e. V.",
            "EXIS e. V.",
            "Verein der Vietnamesen in Dresden e. V. / Vertreter des Ausländerbeirats",
            "Cultura et cetera e. V.",
            "VertreterInnen der Ämter 10, 15, 51, 80",
            "Technische Universität Dresden",
            "Jobcenter Dresden",
            "Arbeitsagentur Dresden",
            "Industrie- und Handelskammer",
            "Handwerkskammer",
            "FAG 2: Soziales, Wohnen, Gesundheitsthemen",
            "Ausländerrat Dresden e. V./Vertreter des Ausländerbeirats",
            "Dresdner Verein für soziale Integration von Ausländern und Aussiedlern",
            "VertreterInnen der Ämter 50, 51, 53, 61",
            "VertreterInnen der Eigenbetriebe",
            "Krankenhaus Friedrichstadt",
            "Krankenhaus Neustadt",
            "FAG 3: Frühkindliche und Schulbildung, Kinder-, Jugend- und Familienarbeit",
            "AWO Migrationsdienst Prohlis",
            "Portal e. V.",
            "Polonia-Dresden e. V.",
            "BAMF",
            "Sächsische Bildungsagentur, RS Dresden",
            "Kreiselternrat Dresden",
            "VertreterInnen Ämter 15, 40, 42, 51, 53, 55",
            "Vertreter des Ausländerbeirats",
            "FAG 4: Gesellschaftliche soziale Integration, Partizipation, Sport, Kultur",
            "Jüdischer Frauenverein Dresden e. V.",
            "Migrationsberatung für Erwachsene (MBE) im BdV LV Sa/Schlesische Lausitz e. V.",
            "Chinesisch-Deutsches-Zentrum e. V.",
            "Kreissportbund Dresden e. V.",
            "AFROPA e. V. -Vertreter des Ausländerbeirats",
            "VertreterInnen Ämter 15, 33, 41, des OB-Bereiches",
        ],
    ),
    (
        "3. Interkulturelle Orientierung und Öffnung",
        [
            "Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit",
            # the offices that reported on multilingual material, as the seed lists them
            "Jugendamt, Büro der INAUSLB, Büro der OB, Ordnungsamt, Bürgeramt, Haupt- und "
            "Personalamt, Amt für Stadtgrün und Abfallwirtschaft, Sozialamt, Gesundheitsamt, "
            "Amt für Wirtschaftsförderung, Kulturamt",
            "Wegweiser „Aus aller Welt in Dresden angekommen“",
            "Dresden-Informationsflyer",
            "Meldescheine, mehrsprachiges Material (Ordnungsamt)",
            "Postkarten zwecks Gewinnung von Azubis",
            "Angebote für MigrantInnen auf www.dresden.de",
            "Infoblätter zum Dresden-Pass, Willkommensbroschüre für Asylsuchende",
            "Infoblätter bei Beratungen / Schulaufnahmeuntersuchung",
            "Broschüren der Wirtschaftsförderung (englisch)",
            "Kultur-/Info-Broschüren englisch / tschechisch / russisch",  # the seed's order
            "Teilnehmende an zentraler/dezentraler Fortbildung",
            # the source's sentence, the figure in it
            "zwischen Juli 2009 und November 2014 nahmen 222 Beschäftigten an Fortbildungen teil",
            "Fortbildung zur Interkulturellen Kompetenz im GB Ordnung und Sicherheit",
            "Neueinstellung von mehrsprachigen MitarbeiterInnen (Wirtschaftsförderung)",
            "Büro der Integrations- und Ausländerbeauftragten",
            "Beratung von Menschen mit Migrationshintergrund; Anliegen, Anfragen von "
            "DresdnerInnen entgegennehmen, unterstützen, vermitteln",
            "Bei Beschwerden und Konflikten: auf Klärung und Lösungen hinwirken",
            "Netzwerkarbeit ausgebaut; Mitwirkung in Lenkungsgruppen, Fach-AG",
            "Prüfung aller Beschluss- und Informationsvorlagen sowie Anfragen der OB und GB",
        ],
    ),
    (
        "4. Leistungen: konzeptionell, i. R. Aufgabenerfüllung",
        [
            "Verankerung der Integration in weiteren Fachplanungen der Kinder-, Jugendhilfe- "
            "und Familienarbeit (Jugendamt)",
            "Teilräumliche Sozialanalyse zur Vermeidung von Segregation sowie zielgerichteter "
            "Einsatz von Städtebaufördermitteln (Stadtplanungsamt)",
            # three measures in one line, as the seed writes them
            "Ziele beim Bibliotheksentwicklungsplan präzisiert, Fortschreibungen "
            "Sportentwicklungsplanung, Altenhilfeplan",
            # one item of the source, not a heading and a bullet
            "Angebote, die Integration erleichtern z. B. Projekt „Lesestark!“ "
            "(Städtische Bibliotheken)",
            "Integration als Thema im JugendInfoService (Jugendamt) zwecks fachbezogener "
            "Netzwerksarbeit",
            "Projekt „Interkulturelle Begegnung“ in Seniorenbegegnungsstätte Altstadt (Sozialamt)",
            "Übernahme Ausstattung „Kompetenzzentrum Sprache“ (101. MS)",
            "START-Stipendienprogramm weitergeführt",
            "EB Friedhof- und Bestattungswesen: Muslimisches Gräberfeld und Vorbereitung "
            "Buddhistisches Gräberfeld",
            "Förderung von Stellen i. R. „Schwerpunkt Kita, Sprache & Integration“ und "
            "Förderprogramme Sachsens (EB Kita)",
            "Ausweisen der Speisen im Hinblick auf ethnische, kulturelle, religiöse "
            "Essgewohnheiten",
        ],
    ),
    (
        "5. Förderung",
        [
            "„Die Soziale Stadt“ (Stadtplanungsamt)",
            "In den Gebieten Prohlis, Am Koitschgraben und in Gorbitz sind eine Vielzahl von "
            "Projekten zur Integrationsarbeit durchgeführt worden",
            "Engagement für Aufnahme der „Nördlichen Johannstadt“ als Fördergebiet",
            "Integrationszentrum („Am Koitschgraben“) bis 2011",
            "Förderung spezifischer Leistungsangebote für junge Menschen mit "
            "Migrationshintergrund (Jugendamt)",
            # the amounts stand in their sentences; the table repeats them
            "Umsetzung des Lokalen Handlungsprogramms für Demokratie und Toleranz, gegen "
            "Rechtsextremismus (2012 und 2013: ca. 550 TEUR)",
            "ca. 550.000 €",
            "Beteiligung ausländischer Kulturvereine i. R. Städtepartnerschaften (Büro der OBin)",
            "Ausbau der Finanzierung des Gemeindedolmetscherdienstes",
            "Regelmäßige institutionelle kulturelle Förderung, Projektförderung",
            "Steigerung der Förderung interkulturellen Arbeit von 140.600 Euro (2009) auf "
            "149.200 Euro (2013) durch das Amt 41",
            "Förderung interkultureller Arbeit durch das Amt 41",
            "140.600 €",
            "149.200 €",
            "+6,1 %",
            "Projektförderung Migrantenvereine: zwischen 2009 und 2013 von 36.800 Euro auf "
            "40.400 Euro gestiegen",
            "36.800 €",
            "40.400 €",
            "+9,8 %",
            "Fachliche, finanzielle Unterstützung der Interkulturellen Tage, "
            "(Erhöhung der Fördersumme) sowie Beteiligung",
            # "z. B." and "etc." as the seed writes them
            "Interkulturelle Veranstaltungen z. B. in Dresdens Museen, Sammlungen, "
            "sozio-kulturelle Zentren, Theater Junge Generation, VHS, etc.",
            "Unterstützung von Veranstaltungen wie Chinesisches Frühlingsfest und Tetfest mit "
            "Verein der Vietnamesen (GB 7)",
        ],
    ),
    (
        "6. Handlungsbedarfe",
        [
            # the needs in the seed's words, its "z. B.", "beispielsweise" and slips kept
            "Dresden gestaltet die Unterbringung, medizinische Versorgung und soziale "
            "Einbindung sowie Betreuung von Asylsuchenden und Geduldeten menschenwürdig und "
            "bedarfsgerecht:",
            "z. B. durch Entwicklung und Verabschiedung eines „Umsetzungs- und "
            "Finanzierungskonzeptes“ für Sprachkurse",
            "Klärung von Strukturen und Abläufen, beispielsweise",
            "zu Behandlungsmöglichkeiten von Traumafolgestörungen bei Flüchtlingen und",
            "zum Übergang von der sozialen Betreuung zu den MBE",
            "Überprüfung und Weiterentwicklung aller städtischen Fachplanungen auf ihren "
            "Beitrag zur Integration von Menschen mit Migrationshintergrund und zum Abbau von "
            "Gruppenbezogener Menschenfeindlichkeit",
            "bedarfsgerechte Sicherung der Arbeit des Gemeindedolmetscherdienstes, der "
            "„Bildungspatenschaften“, der sozialen Arbeit im Kontext Schule sowie der "
            "Förderung von Mehrsprachigkeit in den Kitas",
            "Dienstleistungsorientierung in Mittelpunkt stellen, heißt Vielfalt gestalten",
            "z. M. interkulturelles Personalmanagement in die LHD → Ansprache in "
            "Stellenausschreibungen der LHDD",
        ],
    ),
]

# Nothing the seed does not say, no database phrase and nothing said twice.
FORBIDDEN = [
    "umgesetzt, 100",
    "[umgesetzt",
    "[Daueraufgabe",
    "% umgesetzt",
    "keine Beträge erfasst",
    "(Sozialamt) – Seniorenbegegnungsstätte",
    "(101. Mittelschule) – 101. Mittelschule",
    "(Geschäftsbereich Ordnung und Sicherheit)",
    "(Englisch) (Amt für Wirtschaftsförderung)",
    "VertreterInnen: OB-Bereich",
    # the members' lines the source words itself, not composed from the records
    "und aus dem OB-Bereich",
    "Bundesamt für Migration",
    "des Konzept zur",
    "(Kulturamt)",
    # the heading above, the parent item or the item's own words name it already
    "hinwirken (Büro der Integrations- und Ausländerbeauftragten)",
    "als Fördergebiet (Stadtplanungsamt)",
    "(Wirtschaftsförderung) (Amt für Wirtschaftsförderung)",
    "(englisch) (Englisch)",
    "russisch (Englisch",
    "(101. MS) – 101. Mittelschule",
    "(EB Kita) (Eigenbetrieb Kindertageseinrichtungen)",
    "Bestattungswesen: Muslimisches Gräberfeld und Vorbereitung Buddhistisches Gräberfeld "
    "(Eigenbetrieb",
    "bis 2011 Bis 2011",
    "(Büro der OBin) (Büro der Oberbürgermeisterin)",
    "(GB 7) – Verein der Vietnamesen",
    "durch das Amt 41 (Kulturamt)",
    # the items of one line of the seed, not again one by one
    "Fortschreibung des Altenhilfeplans",
    # headings and words the seed does not have
    "Fortbildung und Personal",
    "Konzeptionell Verankerung",
    "Ämter, die zu Mehrsprachigkeit",
    "zum Beispiel",
    "Zum Beispiel",
    "in Kraft seit",
    "im Rahmen der Aufgabenerfüllung",
    "Landeshauptstadt Dresden (LHD)",
]

# Lists whose order is the seed's (each entry appears after the one before it).
ORDERS = {
    "FAG 1": [
        "Cabana, ÖIZ e. V.",
        "Caritas-Jugendmigrationsdienst",
        "KIW-Gesellschaft e. V.",
        "EXIS e. V.",
        "Verein der Vietnamesen in Dresden e. V. / Vertreter des Ausländerbeirats",
        "Cultura et cetera e. V.",
        "VertreterInnen der Ämter 10, 15, 51, 80",
        "Technische Universität Dresden",
        "Jobcenter Dresden",
        "Arbeitsagentur Dresden",
        "Industrie- und Handelskammer",
        "Handwerkskammer",
    ],
    "FAG 2": [
        "Cabana, ÖIZ e. V.",
        "Ausländerrat Dresden e. V./Vertreter des Ausländerbeirats",
        "Dresdner Verein für soziale Integration von Ausländern und Aussiedlern",
        "Caritas-Jugendmigrationsdienst",
        "Verein der Vietnamesen in Dresden e. V.",
        "VertreterInnen der Ämter 50, 51, 53, 61",
        "VertreterInnen der Eigenbetriebe",
        "Krankenhaus Friedrichstadt",
        "Krankenhaus Neustadt",
    ],
    "FAG 3": [
        "Ausländerrat Dresden e. V.",
        "AWO Migrationsdienst Prohlis",
        "Caritas-Jugendmigrationsdienst",
        "Portal e. V.",
        "Polonia-Dresden e. V.",
        "BAMF",
        "Sächsische Bildungsagentur, RS Dresden",
        "Kreiselternrat Dresden",
        "VertreterInnen Ämter 15, 40, 42, 51, 53, 55",
        "Vertreter des Ausländerbeirats",
    ],
    "FAG 4": [
        "Portal e. V.",
        "Jüdischer Frauenverein Dresden e. V.",
        "Ausländerrat Dresden e. V.",
        "Dresdner Verein für soziale Integration von Ausländern und Aussiedlern",
        "Migrationsberatung für Erwachsene (MBE) im BdV LV Sa/Schlesische Lausitz e. V.",
        "Chinesisch-Deutsches-Zentrum e. V.",
        "Kreissportbund Dresden e. V.",
        "AFROPA e. V. -Vertreter des Ausländerbeirats",
        "VertreterInnen Ämter 15, 33, 41, des OB-Bereiches",
    ],
    "3. Interkulturelle Orientierung und Öffnung": [
        "Jugendamt",
        "Büro der INAUSLB",
        "Büro der OB",
        "Ordnungsamt",
        "Bürgeramt",
        "Haupt- und Personalamt",
        "Amt für Stadtgrün und Abfallwirtschaft",
        "Sozialamt",
        "Gesundheitsamt",
        "Amt für Wirtschaftsförderung",
        "Kulturamt",
    ],
}
