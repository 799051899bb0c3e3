### Lifeline: Notfallmeldungen (E-Mail und Webhooks) an die Personen aus der Richtlinie, Deutsch.

## Von einer Muttersprachlerin oder einem Muttersprachler geprüft (yes/no).
-reviewed = no

## Betreff der E-Mail
notify-subject-dialed = NOTRUF von { $agent }
notify-subject-connected = Notruf angenommen: { $agent }
notify-subject-ended = Notruf beendet: { $agent }
notify-subject-location_changed = Notruf von { $agent }: STANDORT GEÄNDERT, die Leitstelle hat den neuen
notify-subject-self_test_passed = Notruf-Selbsttest bestanden: { $agent }
notify-subject-self_test_failed = Notruf-Selbsttest FEHLGESCHLAGEN: { $agent } - Notrufe kommen womöglich nicht durch
notify-subject-dropped = Notruf ABGEBROCHEN: { $agent } - die Leitstelle ruft womöglich zurück

## Chat-Text (Slack, Teams, generischer Webhook)
notify-chat-dialed = :rotating_light: *NOTRUF* von *{ $agent }*
notify-chat-connected = Notruf von *{ $agent }* angenommen
notify-chat-ended = Notruf von *{ $agent }* beendet
notify-chat-location_changed = :round_pushpin: Notruf von *{ $agent }*: Der Standort hat sich während des Anrufs GEÄNDERT; die Leitstelle hat den neuen erhalten
notify-chat-self_test_passed = Notruf-Selbsttest von *{ $agent }* bestanden
notify-chat-self_test_failed = :warning: Notruf-Selbsttest von *{ $agent }* FEHLGESCHLAGEN: Notrufe kommen womöglich nicht durch
notify-chat-dropped = :warning: Notruf von *{ $agent }* ABGEBROCHEN: die Leitstelle ruft womöglich zurück

## Anfang der E-Mail
notify-intro-dialed =
    { $agent } hat am { $time } eine Notrufnummer gewählt.
    Der Anruf wird gerade aufgebaut; die Notdienste rufen womöglich zurück.
notify-intro-connected = Der Notruf von { $agent } wurde am { $time } von der Leitstelle angenommen.
notify-intro-ended =
    Der Notruf von { $agent } endete am { $time }.
    Halten Sie die Rückrufnummer frei: Die Leitstelle ruft womöglich zurück.
notify-intro-location_changed =
    Der Standort von { $agent } hat sich während des Notrufs GEÄNDERT; der neue Standort unten wurde
    am { $time } im Anruf an die Leitstelle gesendet.
notify-intro-self_test_passed =
    Der Notruf-Selbsttest von { $agent } wurde am { $time } bestanden: Der Testanruf beim Notruf-Testdienst
    wurde angenommen und trug den Standort unten.
notify-intro-self_test_failed =
    Der Notruf-Selbsttest von { $agent } ist am { $time } FEHLGESCHLAGEN.
    Ein echter Notruf von dieser Leitung erreicht die Leitstelle womöglich nicht oder ohne Adresse.
    Prüfen Sie die Leitung, die Notrufroute und den Standort.
notify-intro-dropped =
    Der Notruf von { $agent } ist am { $time } ABGEBROCHEN.
    Die Leitstelle ruft womöglich zurück; sehen Sie nach der Person.

## Überschriften und Feldnamen
notify-reason = Grund
notify-heading-agent = Agent
notify-heading-call = Anruf
notify-heading-location = An die Notdienste gesendeter Standort
notify-heading-device = Gerät
notify-heading-time = Zeit
notify-field-user = Benutzer
notify-field-name = Name
notify-field-line = Durchwahl/Leitung
notify-field-caller_id = Gesendete Rufnummer
notify-field-callback = Rückrufnummer
notify-field-call_reference = Anrufkennung
notify-field-location = Standort
notify-field-floor = Etage
notify-field-room = Raum
notify-field-source = Quelle
notify-field-location_source = Quelle des Standorts
notify-field-host = Hostname
notify-field-ip = IP-Adressen
notify-field-agent_time = Ortszeit des Agenten
notify-field-utc = UTC
notify-no_location = Mit diesem Anruf wurde kein Standort gesendet.
notify-none_sent = keiner gesendet
notify-chat-floor = Etage { $floor }
notify-chat-room = Raum { $room }

## Herkunft des Standorts
notify-source-network_map = Netzwerkplan
notify-source-held = Standortserver (HELD, Methode { $method })
notify-source-agent = vom Agenten eingegeben
notify-source-agent_unconfirmed = vom Agenten eingegeben, im aktuellen Netzwerk nicht bestätigt

## Fußzeile
notify-footer = Gesendet von Lifeline. Nachrichtenschlüssel { $key }: Eine wiederholte Zustellung trägt denselben Schlüssel.
