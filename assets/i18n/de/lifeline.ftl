### Lifeline: the UI's and the engine's messages, German.
### Message ids are the UI's keys with "-" for "." (app.name is app-name).

## Whether a native speaker has reviewed this translation (yes/no): the agreement footer says so when not.
-reviewed = no

## app
app-name = Lifeline
app-connecting = Verbindung zur Telefonie-Engine…
app-connecting_slow = Die Telefonie-Engine antwortet noch nicht. Wenn das länger als eine Minute dauert, starten Sie Lifeline neu.

## lab
lab-badge = Labor
lab-explanation = Laborumgebung: Notrufnummern, die Sie hier wählen, erreichen die simulierte Leitstelle des Labors, niemals echte Notdienste.

## registration
registration-registered = Angemeldet
registration-registered_as = Angemeldet als { $who }
registration-unregistered = Nicht angemeldet
registration-failed = Anmeldung fehlgeschlagen
registration-failed_reason = Anmeldung fehlgeschlagen: { $reason }
registration-signing_in = Anmeldung läuft…
registration-unknown = Anmeldestatus noch unbekannt

## agreement
agreement-text_label = Hinweis zu Notrufen
agreement-version = Version { $version }
agreement-unreviewed = Diese Übersetzung wurde maschinell erstellt und nicht von Muttersprachlern geprüft.
agreement-accept = Akzeptieren
agreement-emergency_label = Notrufnummer
agreement-emergency_hint = Ihre Leitung kann schon vor dem Akzeptieren Notrufe absetzen. Geben Sie die Nummer ein und rufen Sie an.
agreement-emergency_call = Notrufnummer anrufen

## call
call-emergency_hint = Notfall? Nummer hier eingeben und anrufen: dieses Gespräch wird gehalten.

## incoming
incoming-emergency_hint = Notfall? Nummer hier eingeben und anrufen: dieser Anruf wird abgewiesen.

## signin
signin-emergency_hint = Nicht angemeldet: Diese Leitung kann noch nicht anrufen. Bei einer Notrufnummer sehen Sie die Adresse, die Sie von einem anderen Telefon aus angeben.
signin-title = Anmelden
signin-server = Server
signin-server_hint = WebSocket-Adresse, zum Beispiel wss://sip.example.com
signin-server_invalid = Geben Sie eine Adresse ein, die mit ws:// oder wss:// beginnt
signin-domain = Domäne
signin-user = Benutzer
signin-password = Passwort
signin-remember = Auf diesem Computer merken
signin-incomplete = Füllen Sie alle Felder aus, um sich anzumelden.
signin-submit = Anmelden
signin-signing_in = Anmeldung läuft…

## softphone
softphone-title = Telefon
softphone-number = Rufnummer
softphone-backspace = Letzte Ziffer löschen
softphone-pad = Wähltastatur
softphone-call = Anrufen
softphone-last_call = Letzter Anruf mit { $remote } beendet.
softphone-last_call_reason = Letzter Anruf mit { $remote } beendet: { $reason }

## pad
pad-star = Stern
pad-hash = Raute

## presence
presence-label = Status
presence-available = Verfügbar
presence-busy = Beschäftigt
presence-do_not_disturb = Nicht stören
presence-away = Abwesend
presence-working_offline = Offline arbeiten
presence-forced = Vom Notrufmodus gesetzt: Ihr gewohnter Status kehrt danach zurück.
presence-refused_emergency = Ihr Status bleibt während des Notrufmodus „{ $status }“, damit die Leitstelle Sie immer erreicht.
presence-overridden_elsewhere = Ihr Status wurde anderswo auf „{ $status }“ gesetzt (ein anderes Gerät oder das Contact Center). Der Notrufmodus hält ihn bei „{ $current }“, damit die Leitstelle Sie immer erreicht.
presence-set_elsewhere = Anderswo gesetzt (ein anderes Gerät oder das Contact Center).

## incoming
incoming-title = Eingehender Anruf
incoming-while_in_call = Sie telefonieren noch mit { $remote }.

## call
call-answer = Annehmen
call-reject = Ablehnen
call-end = Auflegen
call-mute = Stummschalten
call-hold = Halten
call-keypad = Tastatur
call-keypad_hint = Tippen oder Tasten drücken, um Töne zu senden.
call-keypad_sent = Gesendet: { $digits }
call-title_in = Anruf von
call-title_out = Anruf an
call-timer_label = Gesprächsdauer
call-state_dialing = Wird angerufen…
call-state_ringing = Es klingelt…
call-state_incoming = Eingehend…
call-state_connected = Verbunden
call-state_held = Gehalten
call-state_held_time = Gehalten · { $time }

## emergency
emergency-in_progress = Notruf läuft
emergency-callback_in_progress = Rückruf der Leitstelle läuft
emergency-location_title = Übermittelter Standort
emergency-location_source = Quelle: { $source }
emergency-location_unknown = Wenn die Leitstelle fragt, sagen Sie, wo Sie sind: Gebäude, Stockwerk und Raum.
emergency-location_unconfirmed = Sie haben diese Adresse in einem anderen Netzwerk eingegeben und hier nicht bestätigt: Sagen Sie der Leitstelle, wo Sie sind.
emergency-remain = Im Notrufmodus bleiben
emergency-exit = Notrufmodus beenden

## location
location-source_policy = Einstellungen Ihrer Organisation
location-source_network = verbundenes Netzwerk
location-source_user = von Ihnen eingegebene Adresse

## devices
devices-title = Audiogeräte
devices-input = Mikrofon
devices-output = Lautsprecher
devices-ringer = Klingelton
devices-system_default = Systemstandard
devices-not_reported = Lifeline nutzt die Standardgeräte des Systems. Ändern Sie sie in den Toneinstellungen Ihres Computers.

## callback
callback-title = Die Leitstelle ruft zurück
callback-explanation = Nehmen Sie jetzt an: Die Leitstelle versucht, Sie erneut zu erreichen.

## lock
lock-title = Leitung für den Rückruf der Leitstelle freigehalten
lock-countdown = Noch { $time } (bis { $until })
lock-explanation = Bis dahin werden normale Anrufe abgewiesen, und der Rückruf der Leitstelle klingelt immer, auch bei „Nicht stören“.

## remain
remain-title = Notrufmodus ist aktiv
remain-until = Bis { $time }, wenn Sie ihn nicht vorher beenden.
remain-explanation = Normale Anrufe werden abgewiesen, und die Leitstelle kann Sie weiterhin zurückrufen.

## prompt
prompt-title = Die Rückrufzeit ist vorbei
prompt-text = Bleiben Sie im Notrufmodus, wenn die Leitstelle Sie noch erreichen muss. Andernfalls beenden Sie ihn, um wieder normale Anrufe anzunehmen.

## settings
settings-open = Einstellungen
settings-title = Einstellungen
settings-back = Zurück
settings-account = Konto
settings-none = Nicht festgelegt
settings-sign_out = Abmelden
settings-sign_out_emergency = Der Notrufmodus ist aktiv: Wenn Sie sich abmelden, kann die Leitstelle Sie hier nicht zurückrufen.
settings-sign_out_anyway = Trotzdem abmelden
settings-agreement = Hinweis zu Notrufen
settings-agreement_accepted = Version { $version } akzeptiert am { $at }.
settings-agreement_not_accepted = Noch nicht akzeptiert.
settings-language = Sprache
settings-language_auto = Automatisch
settings-startup = Start
settings-start_at_login = Lifeline bei der Anmeldung starten
settings-about = Info
settings-version = Version
settings-mode = Modus
settings-mode_lab = Labor
settings-mode_production = Produktion
settings-mock = simulierte Engine
settings-bridge = Engine ohne Fenster (Entwicklungsbrücke)

## toast
toast-region = Benachrichtigungen
toast-dismiss = Schließen
toast-attach_failed = Lifeline erreicht seine Telefonie-Engine nicht: { $detail }. Starten Sie Lifeline neu; wenn das wieder passiert, informieren Sie Ihre IT.
toast-send_failed = Lifeline konnte das nicht an die Telefonie-Engine weitergeben: { $detail }
toast-call_rejected = Anruf mit { $remote } abgewiesen: { $reason } ({ $code })
toast-enter_number = Geben Sie zuerst eine Nummer ein.

## emergency
emergency-location_known_title = Ihr hinterlegter Standort

## location
location-source_network_map = der Netzwerkübersicht Ihrer Organisation
location-source_held = dem Standortserver Ihres Netzwerks
location-source_agent = der von Ihnen eingegebenen Adresse
location-settings_title = Ihr Standort für Notrufe
location-none = Lifeline weiß nicht, wo Sie sind. Notrufe gehen ohne Adresse hinaus, bis Sie eine eingeben.
location-change = Andere Adresse eingeben
location-enter = Adresse eingeben
location-save = Adresse speichern
location-cancel = Abbrechen
location-prompt_missing_title = Wo sind Sie?
location-prompt_missing = Lifeline kennt Ihre Adresse nicht. Geben Sie sie jetzt ein, damit ein Notruf den Rettungskräften sagt, wohin sie kommen müssen.
location-prompt_unknown_title = Neues Netzwerk: Sind Sie noch hier?
location-prompt_unknown = Sie sind in einem Netzwerk, das Lifeline nicht kennt. Wenn Sie umgezogen sind, geben Sie ein, wo Sie jetzt sind.
location-prompt_confirm_title = Sind Sie noch an dieser Adresse?
location-prompt_confirm = Sie haben sie in einem anderen Netzwerk eingegeben. Notrufe übermitteln sie weiterhin, bis Sie sie bestätigen oder angeben, wo Sie jetzt sind.
location-confirm = Ja, ich bin noch hier
location-field_hno = Hausnummer
location-field_rd = Straße
location-field_bld = Gebäude
location-field_flr = Stockwerk
location-field_room = Raum
location-field_a3 = Ort
location-field_a1 = Bundesland oder Provinz
location-field_pc = Postleitzahl
location-field_country = Land
location-field_country_hint = Zweistelliger Code, zum Beispiel DE, AT oder CH.

## media
media-connected = Audio verbunden
media-receiving = Audio verbunden, Ton kommt an
media-receiving_codec = Audio verbunden, Ton kommt an ({ $codec })
media-failed = Kein Ton in diesem Anruf: die Audioverbindung ist fehlgeschlagen. Der Anruf bleibt bestehen; beenden Sie ihn und rufen Sie erneut an, wenn Sie sich nicht hören.
media-failed_reason = Kein Ton in diesem Anruf: { $reason }. Der Anruf bleibt bestehen; beenden Sie ihn und rufen Sie erneut an, wenn Sie sich nicht hören.
media-no_audio = Bei Ihnen kommt kein Ton an. Der Anruf ist weiterhin verbunden; prüfen Sie Ihr Netzwerk oder Headset.
media-reconnecting = Netzwerk gewechselt — Audio wird neu verbunden…
media-reconnecting_emergency = Netzwerk gewechselt — Audio wird neu verbunden… Bleiben Sie in der Leitung.
media-path_direct = Audio: direkt ({ $kind })
media-path_nat = Audio: über NAT ({ $kind })
media-path_relay = Audio: Relay · TURN über { $protocol }
media-path_relay_server = Audio: Relay · TURN über { $protocol } · { $server }
media-path_other = Audio: { $kind }

## emergency
emergency-no_audio_title = Bei Ihnen kommt kein Ton an
emergency-media_failed_title = Die Audioverbindung ist fehlgeschlagen
emergency-no_audio_read_address = Bleiben Sie in der Leitung und lesen Sie Ihre Adresse laut vor: die Leitstelle hört Sie vielleicht, auch wenn Sie nichts hören.
emergency-no_audio_say_where = Bleiben Sie in der Leitung und sagen Sie, wo Sie sind (Gebäude, Stockwerk und Raum): die Leitstelle hört Sie vielleicht, auch wenn Sie nichts hören.
emergency-no_audio_other_phone = Oder wählen Sie den Notruf von einem anderen Telefon.

## devices
devices-unavailable = Nicht verfügbar
devices-change_hint = Andere Geräte wählen Sie in den Toneinstellungen Ihres Computers.

## failed
failed-title = Jetzt ein anderes Telefon benutzen
failed-address_title = Nennen Sie der Leitstelle diese Adresse
failed-no_address = Lifeline hat keine Adresse für Sie: nennen Sie der Leitstelle Gebäude, Stockwerk und Raum.
failed-explanation = Wählen Sie die Notrufnummer jetzt von einem Handy oder Tischtelefon.
failed-close = Schließen

## blocked
blocked-title = Diese Nummer wurde nicht gewählt
blocked-call_offer = { $number } anrufen
blocked-dismiss = Schließen

## policy
policy-warnings_title = Einige Einstellungen Ihrer Organisation konnten nicht verwendet werden
policy-warnings_hint = Lifeline verwendet die übrigen. Informieren Sie Ihre IT.

## store
store-title = Lifeline kann seine Daten nicht wie gewohnt speichern

## managed
managed-title = Von Ihrer Organisation verwaltet
managed-tag = Von Ihrer Organisation verwaltet
managed-hint = Ihre IT legt diese Einstellungen fest; Sie können sie hier nicht ändern.
managed-emergency_lock_minutes = Wie lange die Leitung für den Rückruf frei bleibt
managed-emergency_callback_from = Wer als zurückrufende Leitstelle gilt
managed-emergency_status_during = Ihr Status im Notfallmodus
managed-emergency_number_mismatch = Notrufnummern anderer Länder
managed-emergency_keep_redial_entry = Notrufe in der Anrufliste
managed-location_address = Ihre Adresse für Notrufe
managed-location_networks = Adressen der Netzwerke Ihrer Organisation
managed-location_held_url = Standortserver
managed-location_prompt_unknown_network = Nachfrage nach der Adresse in unbekannten Netzwerken
managed-location_country = Das Land für Notrufnummern
managed-sip_server = Telefonserver
managed-sip_domain = Telefondomäne
managed-sip_emergency_line = Rückrufnummer für Notrufe
managed-sip_outside_prefix = Amtsholung
managed-ui_locale = Sprache
managed-agreement = Hinweis zu Notrufen
managed-audit = Prüfprotokoll
managed-notify = Wer über Notrufe informiert wird

## call
call-keypad_received = Empfangene Töne: { $digits }

## lock
lock-missed_title =
    { $count ->
        [one] Ein Anruf wurde in dieser Zeit abgewiesen
       *[other] { $count } Anrufe wurden in dieser Zeit abgewiesen
    }
lock-missed_item = { $remote } um { $time }

## toast
toast-microphone_lost = Mikrofon { $name } wurde getrennt; jetzt wird { $fallback } verwendet.
toast-speaker_lost = Lautsprecher { $name } wurde getrennt; jetzt wird { $fallback } verwendet.
toast-ringer_lost = Klingelgerät { $name } wurde getrennt; jetzt wird { $fallback } verwendet.
toast-microphone_unavailable = Kein Mikrofon konnte geöffnet werden ({ $reason }). Prüfen Sie, ob eines angeschlossen ist.
toast-speaker_unavailable = Kein Lautsprecher konnte geöffnet werden ({ $reason }). Prüfen Sie die Toneinstellungen.
toast-ringer_unavailable = Das Klingelgerät konnte nicht geöffnet werden ({ $reason }). Eingehende Anrufe klingeln über den Lautsprecher.

## history
history-title = Letzte Anrufe
history-empty = Noch keine Anrufe. Getätigte und empfangene Anrufe erscheinen hier.
history-hint = Wählen Sie einen Anruf, um seine Nummer ins Nummernfeld zu übernehmen, und drücken Sie dann Anrufen.
history-outgoing = Ausgehend
history-incoming = Eingehend
history-duration = Dauer
history-outcome_answered = Angenommen
history-outcome_missed = Verpasst
history-outcome_rejected = Abgelehnt
history-outcome_cancelled = Abgebrochen
history-outcome_failed = Fehlgeschlagen
history-outcome_redial = Notruf
history-redial_note = gespeichert, damit Sie ihn erneut wählen können

## devices
devices-choose_hint = Eine Änderung gilt sofort, auch während eines Anrufs.
devices-option_default = Systemstandard
devices-option_is_default = { $name } (Systemstandard)
devices-option_missing = { $name } (nicht verbunden)
devices-in_use = In Verwendung: { $name }

## toast
toast-call_rejected_emergency_line_protected = Anruf von { $remote } abgewiesen: Die Leitung bleibt für den Rückruf der Notrufdienste frei ({ $code }).
toast-call_rejected_do_not_disturb = Anruf von { $remote } abgewiesen: Nicht stören ({ $code }).
toast-call_rejected_working_offline = Anruf von { $remote } abgewiesen: Sie arbeiten offline ({ $code }).
toast-call_rejected_busy = Anruf von { $remote } abgewiesen: Sie telefonieren gerade ({ $code }).

## end
end-cancelled = abgebrochen
end-hung_up = Sie haben aufgelegt
end-remote_hung_up = die Gegenseite hat aufgelegt
end-caller_cancelled = der Anrufer hat vor der Annahme aufgelegt
end-rejected = abgewiesen
end-rejected_status = abgewiesen ({ $status })
end-refused = der Anruf wurde abgelehnt
end-refused_status = abgelehnt ({ $status })
end-refused_404 = Nummer nicht gefunden ({ $status })
end-refused_480 = zurzeit nicht erreichbar ({ $status })
end-refused_486 = besetzt ({ $status })
end-refused_603 = von der Gegenseite abgelehnt ({ $status })
end-no_answer = der Telefonserver hat nicht geantwortet
end-no_answer_status = keine Antwort ({ $status })
end-connection_lost = die Verbindung zum Telefonserver ist abgebrochen
end-signed_out = Sie haben sich abgemeldet
end-foreign_realm = abgelehnt: Der Server verlangte Ihr Passwort für einen anderen Bereich; Lifeline hat es nicht gesendet
end-foreign_realm_status = abgelehnt: Der Server verlangte Ihr Passwort für einen anderen Bereich; Lifeline hat es nicht gesendet ({ $status })

## error
error-not_signed_in = Melden Sie sich an, bevor Sie anrufen.
error-invalid_target = Das ist keine Nummer oder Adresse, die angerufen werden kann: { $detail }
error-agreement_required = Bestätigen Sie den Hinweis zu Notrufen, bevor Sie telefonieren (Notrufnummern funktionieren immer).
error-no_call = Dafür gibt es keinen Anruf.
error-no_call_answer = Es gibt keinen eingehenden Anruf zum Annehmen.
error-no_call_reject = Es gibt keinen eingehenden Anruf zum Abweisen.
error-no_call_hangup = Es gibt keinen Anruf zum Beenden.
error-no_call_dtmf = Ziffern können nur während eines Anrufs gesendet werden.
error-no_call_mute = Es gibt keinen Anruf zum Stummschalten.
error-no_call_hold = Es gibt kein laufendes Gespräch zum Halten oder Fortsetzen.
error-call_not_placed = Der Anruf konnte nicht aufgebaut werden: { $detail }
error-call_not_answered = Der Anruf konnte nicht angenommen werden: { $detail }
error-no_audio_offer = Der eingehende Anruf bot kein Audio an; er wurde abgewiesen.
error-hold_refused = Die Gegenseite hat das Halten des Anrufs abgelehnt ({ $status }).
error-hold_refused_resume = Die Gegenseite hat das Fortsetzen des Anrufs abgelehnt ({ $status }).
error-move_refused = Der Anruf konnte nicht ins neue Netz wechseln ({ $status }); wenn Sie sich nicht mehr hören, rufen Sie erneut an.
error-call_media = Audioproblem im Anruf: { $detail }
error-call_audio_path = Anruf-Audio: { $detail }
error-audio_settings = Audio-Einstellungen für Anrufe: { $detail }; Anrufe nutzen die anderen Wege.
error-audio_device = Audiogerät: { $detail }
error-store_failed = Speichern in der lokalen Datenbank fehlgeschlagen: { $detail }
error-emergency_state_failed = Der Status des Notruf-Rückrufs konnte nicht gespeichert oder gelesen werden: { $detail }
error-store_replaced = Die lokale Datenbank war beschädigt. Sie wurde als { $moved_to } aufbewahrt und eine neue wurde angelegt: Die Anrufliste und Ihre Bestätigung des Hinweises zu Notrufen sind verloren. Notrufe funktionieren.
error-store_in_memory_true = Lifeline kann seine Daten auf diesem Computer nicht speichern. Was vorher gespeichert war, wird verwendet, aber nichts Neues wird behalten: Die Anrufliste wird nicht gespeichert, Notruf-Benachrichtigungen an Ihre Organisation werden nicht gesendet, und eine Sperre für den Notruf-Rückruf würde einen Neustart nicht überstehen. Notrufe funktionieren. Informieren Sie Ihre IT-Abteilung.
error-store_in_memory = Lifeline kann seine Daten auf diesem Computer nicht speichern. Nichts vorher Gespeichertes konnte gelesen werden, und nichts Neues wird behalten: Die Anrufliste wird nicht gespeichert, Notruf-Benachrichtigungen an Ihre Organisation werden nicht gesendet, und eine Sperre für den Notruf-Rückruf würde einen Neustart nicht überstehen. Notrufe funktionieren. Informieren Sie Ihre IT-Abteilung.
error-engine_restarted = Die Telefon-Engine wurde unerwartet beendet und neu gestartet.
error-keychain = Der Schlüsselbund des Systems konnte das Passwort nicht lesen oder speichern: { $detail }
error-account_not_remembered = Das Konto konnte nicht gespeichert werden: { $detail }
error-location_invalid = Diese Adresse kann nicht für Notrufe verwendet werden: { $detail }
error-not_available = { $command } ist in dieser Version nicht verfügbar.
error-sip_call = Der Anruf konnte das nicht ausführen: { $detail }
error-bad_command = Kein Befehl: { $detail }

## registration
registration-retrying = Lifeline versucht es weiter.

## reg
reg-wrong_password = Der Server hat Benutzername oder Passwort abgelehnt. Prüfen Sie beides und melden Sie sich erneut an.
reg-unsupported_auth = Der Server verlangt ein Anmeldeverfahren, das Lifeline nicht unterstützt. Wenden Sie sich an die IT.
reg-forbidden = Der Server erlaubt diesem Konto keine Anmeldung (403). Wenden Sie sich an die IT.
reg-unknown_user = Der Server kennt diesen Benutzer nicht (404). Prüfen Sie Benutzername und Domäne.
reg-unreachable = Der SIP-Server ist nicht erreichbar ({ $detail }). Prüfen Sie die Serveradresse und Ihre Netzwerkverbindung.
reg-bad_address = Die Serveradresse ist ungültig ({ $detail }). Prüfen Sie sie: Sie beginnt mit wss://.
reg-connect_timeout = Der SIP-Server hat nicht innerhalb von 10 s geantwortet. Prüfen Sie Ihre Netzwerkverbindung oder fragen Sie die IT, ob der Server läuft.
reg-websocket_refused = Unter dieser Adresse hat etwas geantwortet, aber kein SIP-Server ({ $detail }). Prüfen Sie die Serveradresse mit der IT.
reg-tls_not_trusted = Dem Sicherheitszertifikat des Servers wird nicht vertraut ({ $detail }). Bitten Sie die IT, die Zertifizierungsstelle des Servers zu installieren.
reg-tls_setup = Auf diesem Computer können keine sicheren Verbindungen aufgebaut werden ({ $detail }). Wenden Sie sich an die IT.
reg-connection_lost = Die Verbindung zum SIP-Server ist abgebrochen.
reg-timeout = Der SIP-Server hat nicht rechtzeitig geantwortet.
reg-server_error = Der SIP-Server antwortete { $status } { $detail }. Wenn das anhält, wenden Sie sich an die IT.
reg-insecure_transport = Die Adresse { $server } ist nicht verschlüsselt (ws://). Verwenden Sie die wss://-Adresse des Servers, oder die IT kann ws:// in der Richtlinie erlauben (sip.allow_insecure_ws).
reg-message_too_large = Der SIP-Server hat eine Nachricht über 64 KiB gesendet, die Lifeline ablehnt. Wenden Sie sich an die IT.

## blocked
blocked-not_local = Die { $dialled } ist dort, wo Sie sind ({ $country }), keine Notrufnummer. Die Notrufnummer hier ist die { $local }.

## failed
failed-not_sent = Der Notruf konnte nicht gesendet werden. Benutzen Sie jetzt ein anderes Telefon und nennen Sie diese Adresse.
failed-not_connected = Der Notruf kam nicht zustande. Benutzen Sie jetzt ein anderes Telefon und nennen Sie diese Adresse.
failed-not_connected_status = Der Notruf kam nicht zustande ({ $status }). Benutzen Sie jetzt ein anderes Telefon und nennen Sie diese Adresse.
failed-restarted = Lifeline wurde unerwartet beendet und neu gestartet. Wenn Sie jetzt Hilfe im Notfall brauchen, benutzen Sie ein anderes Telefon.
failed-restarted_locked = Lifeline wurde unerwartet beendet und neu gestartet. Wenn Sie jetzt Hilfe im Notfall brauchen, benutzen Sie ein anderes Telefon. Die Sperre für den Notruf-Rückruf gilt weiter: Der Anruf der Leitstelle klingelt hier.
failed-stalled = Lifeline reagierte nicht mehr und wurde neu gestartet. Wenn Sie jetzt Hilfe im Notfall brauchen, benutzen Sie ein anderes Telefon.
failed-stalled_locked = Lifeline reagierte nicht mehr und wurde neu gestartet. Wenn Sie jetzt Hilfe im Notfall brauchen, benutzen Sie ein anderes Telefon. Die Sperre für den Notruf-Rückruf gilt weiter: Der Anruf der Leitstelle klingelt hier.

## media
media-cause_no_audio = seit { $seconds } s ist kein Ton angekommen
media-cause_network_changed = das Netzwerk hat gewechselt
media-cause_connection_failed = die Verbindung für den Ton konnte nicht aufgebaut werden
media-cause_connection_lost = die Verbindung für den Ton ist abgebrochen

## device
device-cause_sound_system = das Audiosystem ist nicht erreichbar: { $detail }
device-cause_not_found = „{ $name }“ ist nicht angeschlossen
device-cause_no_default = es gibt kein Standardgerät
device-cause_open_failed = „{ $name }“ konnte nicht geöffnet werden: { $detail }

## error
error-during_emergency_call = Nicht während eines Notrufs: Halten, Weiterleiten, andere Anrufe und Statuswechsel warten, bis er endet.
error-callback_lock = Die Leitung bleibt bis { $until } für den Rückruf der Notdienste frei; das kann bis dahin warten.
error-not_in_emergency = Lifeline ist nicht im Notfallmodus.
error-quit_during_emergency_call = Lifeline bleibt während des Notrufs geöffnet, damit die Leitung nicht verloren geht; das Fenster wurde stattdessen minimiert.
error-quit_during_callback_lock = Lifeline bleibt geöffnet und angemeldet: Die Leitung bleibt bis { $until } für den Rückruf der Notdienste frei. Das Fenster wurde stattdessen minimiert; Abmelden oder Herunterfahren des Computers beendet es.

## settings
settings-self_test = Notruf-Selbsttest
settings-self_test_about = Ein Testanruf beim Notruf-Testdienst prüft, ob Notrufe mit Ihrem Standort durchkommen. Echte Notdienste werden nicht erreicht.
settings-self_test_run = Selbsttest starten
settings-self_test_running = Selbsttest läuft…
settings-self_test_never = Bisher lief kein Selbsttest.
settings-self_test_passed = Letzter Selbsttest am { $at } bestanden.
settings-self_test_failed = Letzter Selbsttest am { $at } FEHLGESCHLAGEN: { $reason }
settings-self_test_failure_not_sent = Der Testanruf konnte nicht gesendet werden.
settings-self_test_failure_no_answer = Der Notrufweg hat nicht geantwortet.
settings-self_test_failure_location_not_delivered = Der Weg antwortete nur ohne Ihren Standort.
settings-self_test_failure_no_location = Es ist kein Standort zum Senden bekannt.
settings-self_test_not_now = Der Selbsttest kann im Notrufmodus oder während eines Anrufs nicht laufen.

## error
error-self_test_busy = Der Selbsttest wartet, bis der laufende Anruf (oder Selbsttest) endet.

## call
call-transfer = Weiterverbinden
call-add = Anruf hinzufügen
call-add_number = Rufnummer (dieser Anruf wird gehalten)
call-add_send = Anrufen
call-other_calls = Weitere Anrufe
call-swap = Makeln
call-swap_to = Makeln zu { $remote }: dieser Anruf wird gehalten
call-end_other = Auflegen: Anruf mit { $remote }
call-answer_hold = Annehmen und halten
call-merge = Anrufe zusammenführen
call-split = Trennen
call-conference_with = Konferenz: Sie, dieser Anrufer und { $remote } hören einander.
call-transfer_target = Weiterverbinden an (Nummer oder Adresse)
call-transfer_send = Anruf weiterverbinden
call-transfer_join = { $other } zu { $remote } vermitteln
call-transfer_transferor_trying = Wird weiterverbunden…
call-transfer_transferor_ringing = Beim Ziel klingelt es…
call-transfer_transferor_succeeded = Weiterverbunden.
call-transfer_transferor_failed = Das Weiterverbinden ist fehlgeschlagen ({ $status }); der Anruf bleibt bei Ihnen.
call-transfer_transferor_failed_unconfirmed = Die Gegenstelle hat das Weiterverbinden nicht bestätigt; der Anruf bleibt bei Ihnen.
call-transfer_transferor_refused = Das Weiterverbinden wurde abgelehnt; der Anruf bleibt bei Ihnen.
call-transfer_transferee_trying = Die Gegenseite verbindet Sie weiter: der neue Teilnehmer wird angerufen…
call-transfer_transferee_ringing = Beim neuen Teilnehmer klingelt es…
call-transfer_transferee_succeeded = Mit dem neuen Teilnehmer verbunden.
call-transfer_transferee_failed = Das Weiterverbinden durch die Gegenseite ist fehlgeschlagen ({ $status }); dieser Anruf bleibt.
call-transfer_transferee_refused = Die Gegenseite wollte diesen Anruf weiterverbinden; das wurde abgelehnt.

## toast
toast-transfer_failed = Das Weiterverbinden ist fehlgeschlagen ({ $status }); der Anruf bleibt bei Ihnen.

## end
end-transferred = weiterverbunden

call-auto_answered = Automatisch angenommen
managed-calls_auto_answer = Automatische Annahme

settings-presence_server = Status auf dem Server
settings-presence_server_published = Für das Contact Center sichtbar
settings-presence_server_failing = Zurzeit nicht sichtbar; wird erneut versucht
settings-presence_server_off = Nicht sichtbar: Der Server unterstützt keine Präsenz ({ $code }). Anrufe sind nicht betroffen.
error-audio_settings_turn_credentials_refused = Der TURN-Server { $url } hat Benutzername oder Passwort abgelehnt: Prüfen Sie { $key }. Anrufe nutzen die anderen Wege.
error-audio_settings_turn_refused = Der TURN-Server { $url } hat ein Relay abgelehnt (Fehler { $status }): Prüfen Sie { $key } und die Einstellungen des Servers. Anrufe nutzen die anderen Wege.
error-audio_settings_turn_no_answer = Der TURN-Server { $url } hat über { $transport } nicht innerhalb von { $seconds } s geantwortet: Prüfen Sie, ob die Firewall ihn durchlässt. Anrufe nutzen die anderen Wege.
error-audio_settings_turn_unusable = Der TURN-Server { $url } hat so geantwortet, dass diese App es nicht verwenden kann. Anrufe nutzen die anderen Wege.
error-audio_settings_turn_unreachable = Der TURN-Server { $url } war nicht erreichbar. Anrufe nutzen die anderen Wege.

## hotkeys
hotkeys-title = Tastenkürzel
hotkeys-about = Sie funktionieren, während ein anderes Programm, etwa Ihr CRM, den Fokus hat.
hotkeys-action_answer = Annehmen
hotkeys-action_hangup = Auflegen
hotkeys-action_mute = Stummschalten ein/aus
hotkeys-action_focus_dial = Zum Nummernfeld
hotkeys-off = Aus
hotkeys-change = Ändern
hotkeys-use_default = { $keys } verwenden
hotkeys-press_keys = Drücken Sie die neuen Tasten (Esc bricht ab)
hotkeys-needs_modifier = Verwenden Sie Strg, Alt oder Super mit der Taste, damit das Tippen in anderen Programmen weiter funktioniert.
hotkeys-problem_clash = { $keys } ist bereits das Tastenkürzel für „{ $other }“. Wählen Sie eine andere Kombination.
hotkeys-problem_invalid = { $keys } ist keine Tastenkombination, die Lifeline verwenden kann.
hotkeys-problem_refused = Das System hat { $keys } nicht zugelassen: Ein anderes Programm verwendet sie möglicherweise. Wählen Sie eine andere Kombination.
managed-hotkeys = Tastenkürzel
