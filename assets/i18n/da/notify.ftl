### Lifeline: nødmeddelelser (e-mail og webhooks) til de personer, politikken nævner, dansk.
### Maskinoversat, ikke gennemgået af en indfødt taler.

## Gennemgået af en indfødt taler (yes/no).
-reviewed = no

## E-mailens emne
notify-subject-dialed = NØDOPKALD foretaget af { $agent }
notify-subject-connected = Nødopkald besvaret: { $agent }
notify-subject-ended = Nødopkald afsluttet: { $agent }
notify-subject-location_changed = Nødopkald fra { $agent }: PLACERINGEN ER ÆNDRET, alarmcentralen har den nye
notify-subject-self_test_passed = Nødopkaldsselvtest bestået: { $agent }
notify-subject-self_test_failed = Nødopkaldsselvtest MISLYKKEDES: { $agent } - nødopkald kommer måske ikke igennem
notify-subject-dropped = Nødopkald AFBRUDT: { $agent } - alarmcentralen ringer måske tilbage

## Chattekst (Slack, Teams, generisk webhook)
notify-chat-dialed = :rotating_light: *NØDOPKALD* foretaget af *{ $agent }*
notify-chat-connected = Nødopkald fra *{ $agent }* besvaret
notify-chat-ended = Nødopkald fra *{ $agent }* afsluttet
notify-chat-location_changed = :round_pushpin: Nødopkald fra *{ $agent }*: placeringen ÆNDREDE SIG under opkaldet; alarmcentralen har modtaget den nye
notify-chat-self_test_passed = Nødopkaldsselvtest for *{ $agent }* bestået
notify-chat-self_test_failed = :warning: Nødopkaldsselvtest for *{ $agent }* MISLYKKEDES: nødopkald kommer måske ikke igennem
notify-chat-dropped = :warning: Nødopkald fra *{ $agent }* AFBRUDT: alarmcentralen ringer måske tilbage

## Starten af e-mailen
notify-intro-dialed =
    { $agent } ringede til et nødnummer { $time }.
    Opkaldet foretages nu; beredskabet ringer måske tilbage.
notify-intro-connected = Nødopkaldet fra { $agent } blev besvaret af alarmcentralen { $time }.
notify-intro-ended =
    Nødopkaldet fra { $agent } sluttede { $time }.
    Hold tilbagekaldsnummeret ledigt: alarmcentralen ringer måske tilbage.
notify-intro-location_changed =
    Placeringen for { $agent } ÆNDREDE SIG under nødopkaldet; den nye placering nedenfor blev sendt
    til alarmcentralen i opkaldet { $time }.
notify-intro-self_test_passed =
    Nødopkaldsselvtesten for { $agent } bestod { $time }: testopkaldet til nødtesttjenesten
    blev besvaret og havde placeringen nedenfor med.
notify-intro-self_test_failed =
    Nødopkaldsselvtesten for { $agent } MISLYKKEDES { $time }.
    Et rigtigt nødopkald fra denne linje når måske ikke alarmcentralen, eller når den uden adressen.
    Kontrollér linjen, nødruten og placeringen.
notify-intro-dropped =
    Nødopkaldet fra { $agent } blev AFBRUDT { $time }.
    Alarmcentralen ringer måske tilbage; tjek, hvordan medarbejderen har det.

## Overskrifter og feltnavne
notify-reason = Årsag
notify-heading-agent = Medarbejder
notify-heading-call = Opkald
notify-heading-location = Placering sendt til beredskabet
notify-heading-device = Enhed
notify-heading-time = Tidspunkt
notify-field-user = Bruger
notify-field-name = Navn
notify-field-line = Lokalnummer/linje
notify-field-caller_id = Afsendt nummervisning
notify-field-callback = Tilbagekaldsnummer
notify-field-call_reference = Opkaldsreference
notify-field-location = Placering
notify-field-floor = Etage
notify-field-room = Lokale
notify-field-source = Kilde
notify-field-location_source = Placeringens kilde
notify-field-host = Værtsnavn
notify-field-ip = IP-adresser
notify-field-agent_time = Medarbejderens tid
notify-field-utc = UTC
notify-no_location = Der blev ikke sendt nogen placering med dette opkald.
notify-none_sent = ingen sendt
notify-chat-floor = etage { $floor }
notify-chat-room = lokale { $room }

## Hvor placeringen kom fra
notify-source-network_map = netværkskort
notify-source-held = placeringsserver (HELD, metode { $method })
notify-source-agent = indtastet af medarbejderen
notify-source-agent_unconfirmed = indtastet af medarbejderen, ikke bekræftet på det netværk, vedkommende er på nu

## Sidefod
notify-footer = Sendt af Lifeline. Meddelelsesnøgle { $key }: en gentaget levering har samme nøgle.
