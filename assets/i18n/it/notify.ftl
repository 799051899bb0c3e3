### Lifeline: avvisi di emergenza (email e webhook) alle persone indicate dalla policy, italiano.
### Traduzione automatica, non revisionata da un madrelingua.

## Revisionata da un madrelingua (yes/no).
-reviewed = no

## Oggetto dell'email
notify-subject-dialed = CHIAMATA DI EMERGENZA effettuata da { $agent }
notify-subject-connected = Chiamata di emergenza accettata: { $agent }
notify-subject-ended = Chiamata di emergenza terminata: { $agent }
notify-subject-location_changed = Chiamata di emergenza di { $agent }: POSIZIONE CAMBIATA, la centrale ha quella nuova
notify-subject-self_test_passed = Autotest di emergenza riuscito: { $agent }
notify-subject-self_test_failed = Autotest di emergenza NON RIUSCITO: { $agent } - le chiamate di emergenza potrebbero non passare
notify-subject-dropped = Chiamata di emergenza CADUTA: { $agent } - la centrale potrebbe richiamare

## Testo chat (Slack, Teams, webhook generico)
notify-chat-dialed = :rotating_light: *CHIAMATA DI EMERGENZA* effettuata da *{ $agent }*
notify-chat-connected = Chiamata di emergenza di *{ $agent }* accettata
notify-chat-ended = Chiamata di emergenza di *{ $agent }* terminata
notify-chat-location_changed = :round_pushpin: Chiamata di emergenza di *{ $agent }*: la posizione è CAMBIATA durante la chiamata; la centrale ha ricevuto quella nuova
notify-chat-self_test_passed = Autotest di emergenza di *{ $agent }* riuscito
notify-chat-self_test_failed = :warning: Autotest di emergenza di *{ $agent }* NON RIUSCITO: le chiamate di emergenza potrebbero non passare
notify-chat-dropped = :warning: Chiamata di emergenza di *{ $agent }* CADUTA: la centrale potrebbe richiamare

## Inizio dell'email
notify-intro-dialed =
    { $agent } ha composto un numero di emergenza il { $time }.
    La chiamata è in corso; i servizi di emergenza potrebbero richiamare.
notify-intro-connected = La chiamata di emergenza di { $agent } è stata accettata dalla centrale il { $time }.
notify-intro-ended =
    La chiamata di emergenza di { $agent } è terminata il { $time }.
    Tenete libero il numero di richiamata: la centrale potrebbe richiamare.
notify-intro-location_changed =
    La posizione di { $agent } è CAMBIATA durante la chiamata di emergenza; la nuova posizione qui sotto è stata
    inviata alla centrale nella chiamata il { $time }.
notify-intro-self_test_passed =
    L'autotest di emergenza di { $agent } è riuscito il { $time }: la chiamata di prova al servizio di prova
    di emergenza ha ricevuto risposta e ha trasmesso la posizione qui sotto.
notify-intro-self_test_failed =
    L'autotest di emergenza di { $agent } NON È RIUSCITO il { $time }.
    Una vera chiamata di emergenza da questa linea potrebbe non raggiungere la centrale, o raggiungerla senza indirizzo.
    Controllate la linea, l'instradamento di emergenza e la posizione.
notify-intro-dropped =
    La chiamata di emergenza di { $agent } è CADUTA il { $time }.
    La centrale potrebbe richiamare; verificate come sta l'operatore.

## Titoli e nomi dei campi
notify-reason = Motivo
notify-heading-agent = Operatore
notify-heading-call = Chiamata
notify-heading-location = Posizione inviata ai servizi di emergenza
notify-heading-device = Dispositivo
notify-heading-time = Ora
notify-field-user = Utente
notify-field-name = Nome
notify-field-line = Interno/linea
notify-field-caller_id = Numero chiamante inviato
notify-field-callback = Numero di richiamata
notify-field-call_reference = Riferimento della chiamata
notify-field-location = Posizione
notify-field-floor = Piano
notify-field-room = Stanza
notify-field-source = Fonte
notify-field-location_source = Fonte della posizione
notify-field-host = Nome host
notify-field-ip = Indirizzi IP
notify-field-agent_time = Ora dell'operatore
notify-field-utc = UTC
notify-no_location = Nessuna posizione è stata inviata con questa chiamata.
notify-none_sent = nessuna inviata
notify-chat-floor = piano { $floor }
notify-chat-room = stanza { $room }

## Da dove viene la posizione
notify-source-network_map = mappa della rete
notify-source-held = server di localizzazione (HELD, metodo { $method })
notify-source-agent = inserita dall'operatore
notify-source-agent_unconfirmed = inserita dall'operatore, non confermata sulla rete su cui si trova ora

## Piè di pagina
notify-footer = Inviato da Lifeline. Chiave del messaggio { $key }: un nuovo invio porta la stessa chiave.
