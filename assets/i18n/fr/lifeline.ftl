### Lifeline: the UI's and the engine's messages, French (France).
### Message ids are the UI's keys with "-" for "." (app.name is app-name).

## Whether a native speaker has reviewed this translation (yes/no): the agreement footer says so when not.
-reviewed = no

## app
app-name = Lifeline
app-connecting = Connexion au moteur téléphonique…
app-connecting_slow = Toujours en attente du moteur téléphonique. Si cela dure plus d'une minute, redémarrez Lifeline.

## lab
lab-badge = Labo
lab-explanation = Environnement de laboratoire : les numéros d'urgence composés ici aboutissent au centre de secours simulé du labo, jamais aux vrais services d'urgence.

## registration
registration-registered = Enregistré
registration-registered_as = Enregistré en tant que { $who }
registration-unregistered = Non enregistré
registration-failed = Échec de l'enregistrement
registration-failed_reason = Échec de l'enregistrement : { $reason }
registration-signing_in = Connexion…
registration-unknown = État de l'enregistrement pas encore connu

## agreement
agreement-text_label = Avertissement sur les appels d'urgence
agreement-version = Version { $version }
agreement-unreviewed = Cette traduction a été faite par une machine et n'a pas été relue par un locuteur natif.
agreement-accept = Accepter
agreement-emergency_label = Numéro d'urgence
agreement-emergency_hint = Votre ligne peut appeler les urgences avant même que vous acceptiez. Saisissez le numéro, puis appelez.
agreement-emergency_call = Appeler le numéro d'urgence

## call
call-emergency_hint = Urgence ? Saisissez le numéro ici et appelez : cet appel est mis en attente.

## incoming
incoming-emergency_hint = Urgence ? Saisissez le numéro ici et appelez : cet appel est refusé.

## signin
signin-emergency_hint = Non connecté : cette ligne ne peut pas encore appeler. Un numéro d'urgence affiche l'adresse à donner depuis un autre téléphone.
signin-title = Connexion
signin-server = Serveur
signin-server_hint = Adresse WebSocket, par exemple wss://sip.example.com
signin-server_invalid = Saisissez une adresse qui commence par ws:// ou wss://
signin-domain = Domaine
signin-user = Utilisateur
signin-password = Mot de passe
signin-remember = Mémoriser sur cet ordinateur
signin-incomplete = Remplissez tous les champs pour vous connecter.
signin-submit = Se connecter
signin-signing_in = Connexion…

## softphone
softphone-title = Téléphone
softphone-number = Numéro à appeler
softphone-backspace = Effacer le dernier chiffre
softphone-pad = Clavier de numérotation
softphone-call = Appeler
softphone-last_call = Le dernier appel avec { $remote } est terminé.
softphone-last_call_reason = Le dernier appel avec { $remote } est terminé : { $reason }

## pad
pad-star = Étoile
pad-hash = Dièse

## presence
presence-label = Statut
presence-available = Disponible
presence-busy = Occupé
presence-do_not_disturb = Ne pas déranger
presence-away = Absent
presence-working_offline = Travail hors ligne
presence-forced = Fixé par le mode urgence : votre statut habituel reviendra à la fin.
presence-refused_emergency = Votre statut reste « { $status } » pendant le mode urgence, pour que l'opérateur des secours puisse toujours vous joindre.
presence-overridden_elsewhere = Votre statut a été mis à « { $status } » ailleurs (un autre appareil ou le centre de contact). Le mode urgence le garde à « { $current } », pour que l'opérateur des secours puisse toujours vous joindre.
presence-set_elsewhere = Défini ailleurs (un autre appareil ou le centre de contact).

## incoming
incoming-title = Appel entrant
incoming-while_in_call = Vous êtes toujours en communication avec { $remote }.

## call
call-answer = Répondre
call-reject = Refuser
call-end = Raccrocher
call-mute = Couper le micro
call-hold = Mettre en attente
call-keypad = Clavier
call-keypad_hint = Tapez ou appuyez sur les touches pour envoyer des tonalités.
call-keypad_sent = Envoyé : { $digits }
call-title_in = Appel de
call-title_out = Appel vers
call-timer_label = Durée de l'appel
call-state_dialing = Appel en cours…
call-state_ringing = Ça sonne…
call-state_incoming = Appel entrant…
call-state_connected = En communication
call-state_held = En attente
call-state_held_time = En attente · { $time }

## emergency
emergency-in_progress = Appel d'urgence en cours
emergency-callback_in_progress = Rappel des secours en cours
emergency-location_title = Adresse transmise
emergency-location_source = Source : { $source }
emergency-location_unknown = Si l'opérateur vous le demande, indiquez où vous êtes : bâtiment, étage et salle.
emergency-location_unconfirmed = Vous avez saisi cette adresse sur un autre réseau et ne l'avez pas confirmée ici : indiquez à l'opérateur où vous êtes.
emergency-remain = Rester en mode urgence
emergency-exit = Quitter le mode urgence

## location
location-source_policy = les paramètres de votre organisation
location-source_network = le réseau auquel vous êtes connecté
location-source_user = l'adresse que vous avez saisie

## devices
devices-title = Périphériques audio
devices-input = Micro
devices-output = Haut-parleur
devices-ringer = Sonnerie
devices-system_default = Par défaut du système
devices-not_reported = Lifeline utilise les périphériques par défaut du système. Modifiez-les dans les réglages du son de votre ordinateur.

## callback
callback-title = Les secours vous rappellent
callback-explanation = Répondez maintenant : l'opérateur des secours essaie de vous joindre à nouveau.

## lock
lock-title = Ligne réservée au rappel des secours
lock-countdown = Encore { $time } (jusqu'à { $until })
lock-explanation = D'ici là, les appels ordinaires sont refusés et le rappel de l'opérateur des secours sonne toujours, même en Ne pas déranger.

## remain
remain-title = Le mode urgence est actif
remain-until = Jusqu'à { $time }, sauf si vous le quittez avant.
remain-explanation = Les appels ordinaires sont refusés et les secours peuvent toujours vous rappeler.

## prompt
prompt-title = La période de rappel est terminée
prompt-text = Restez en mode urgence si les secours peuvent encore avoir besoin de vous joindre. Sinon, quittez-le pour recevoir de nouveau les appels ordinaires.

## settings
settings-open = Paramètres
settings-title = Paramètres
settings-back = Retour
settings-account = Compte
settings-none = Non renseigné
settings-sign_out = Se déconnecter
settings-sign_out_emergency = Le mode urgence est actif : si vous vous déconnectez, les secours ne pourront plus vous rappeler ici.
settings-sign_out_anyway = Se déconnecter quand même
settings-agreement = Avertissement sur les appels d'urgence
settings-agreement_accepted = Version { $version } acceptée le { $at }.
settings-agreement_not_accepted = Pas encore accepté.
settings-language = Langue
settings-language_auto = Automatique
settings-startup = Démarrage
settings-start_at_login = Lancer Lifeline à l’ouverture de session
settings-about = À propos
settings-version = Version
settings-mode = Mode
settings-mode_lab = Laboratoire
settings-mode_production = Production
settings-mock = moteur simulé
settings-bridge = moteur sans fenêtre (passerelle de développement)

## toast
toast-region = Notifications
toast-dismiss = Fermer
toast-attach_failed = Lifeline ne parvient pas à joindre son moteur téléphonique : { $detail }. Redémarrez Lifeline ; si cela se reproduit, prévenez votre service informatique.
toast-send_failed = Lifeline n'a pas pu transmettre cette demande au moteur téléphonique : { $detail }
toast-call_rejected = Appel avec { $remote } refusé : { $reason } ({ $code })
toast-enter_number = Saisissez d'abord un numéro.

## emergency
emergency-location_known_title = Votre adresse enregistrée

## location
location-source_network_map = la carte des réseaux de votre organisation
location-source_held = le serveur de localisation de votre réseau
location-source_agent = l'adresse que vous avez saisie
location-settings_title = Votre adresse pour les appels d'urgence
location-none = Lifeline ne sait pas où vous êtes. Les appels d'urgence partent sans adresse tant que vous n'en saisissez pas une.
location-change = Saisir une autre adresse
location-enter = Saisir votre adresse
location-save = Enregistrer l'adresse
location-cancel = Annuler
location-prompt_missing_title = Où êtes-vous ?
location-prompt_missing = Lifeline ne connaît pas votre adresse. Saisissez-la maintenant pour qu'un appel d'urgence indique aux secours où venir.
location-prompt_unknown_title = Nouveau réseau : êtes-vous toujours ici ?
location-prompt_unknown = Vous êtes sur un réseau que Lifeline ne connaît pas. Si vous avez changé de lieu, saisissez où vous êtes.
location-prompt_confirm_title = Êtes-vous toujours à cette adresse ?
location-prompt_confirm = Vous l'avez saisie sur un autre réseau. Les appels d'urgence la transmettent encore jusqu'à ce que vous la confirmiez ou indiquiez où vous êtes maintenant.
location-confirm = Oui, je suis toujours ici
location-field_hno = Numéro
location-field_rd = Rue
location-field_bld = Bâtiment
location-field_flr = Étage
location-field_room = Bureau
location-field_a3 = Ville
location-field_a1 = État ou province
location-field_pc = Code postal
location-field_country = Pays
location-field_country_hint = Code à deux lettres, par exemple FR, BE ou CA.

## media
media-connected = Audio connecté
media-receiving = Audio connecté, le son arrive
media-receiving_codec = Audio connecté, le son arrive ({ $codec })
media-failed = Pas de son sur cet appel : la connexion audio a échoué. L'appel reste établi ; raccrochez et rappelez si vous ne vous entendez pas.
media-failed_reason = Pas de son sur cet appel : { $reason }. L'appel reste établi ; raccrochez et rappelez si vous ne vous entendez pas.
media-no_audio = Aucun son ne vous parvient. L'appel est toujours établi ; vérifiez votre réseau ou votre casque.
media-reconnecting = Le réseau a changé — reconnexion de l'audio…
media-reconnecting_emergency = Le réseau a changé — reconnexion de l'audio… Restez en ligne.
media-path_direct = Audio : direct ({ $kind })
media-path_nat = Audio : via NAT ({ $kind })
media-path_relay = Audio : relais · TURN sur { $protocol }
media-path_relay_server = Audio : relais · TURN sur { $protocol } · { $server }
media-path_other = Audio : { $kind }

## emergency
emergency-no_audio_title = Aucun son ne vous parvient
emergency-media_failed_title = La connexion audio a échoué
emergency-no_audio_read_address = Restez en ligne et lisez votre adresse à voix haute : l'opérateur peut vous entendre même si vous ne l'entendez pas.
emergency-no_audio_say_where = Restez en ligne et dites où vous êtes (bâtiment, étage et salle) : l'opérateur peut vous entendre même si vous ne l'entendez pas.
emergency-no_audio_other_phone = Ou appelez le numéro d'urgence depuis un autre téléphone.

## devices
devices-unavailable = Indisponible
devices-change_hint = Pour utiliser d'autres appareils, changez-les dans les réglages audio de votre ordinateur.

## failed
failed-title = Utilisez un autre téléphone maintenant
failed-address_title = Donnez cette adresse à l'opérateur
failed-no_address = Lifeline n'a pas d'adresse pour vous : indiquez à l'opérateur votre bâtiment, étage et bureau.
failed-explanation = Appelez le numéro d'urgence depuis un portable ou un poste fixe maintenant.
failed-close = Fermer

## blocked
blocked-title = Ce numéro n'a pas été composé
blocked-call_offer = Appeler le { $number }
blocked-dismiss = Fermer

## policy
policy-warnings_title = Certains réglages de votre organisation n'ont pas pu être appliqués
policy-warnings_hint = Lifeline applique les autres. Prévenez votre service informatique.

## store
store-title = Lifeline ne peut pas conserver ses données comme d'habitude

## managed
managed-title = Géré par votre organisation
managed-tag = Géré par votre organisation
managed-hint = Votre service informatique définit ces réglages ; vous ne pouvez pas les modifier ici.
managed-emergency_lock_minutes = Durée pendant laquelle la ligne reste libre pour le rappel des secours
managed-emergency_callback_from = Qui compte comme les secours qui rappellent
managed-emergency_status_during = Votre statut en mode urgence
managed-emergency_number_mismatch = Numéros d'urgence d'autres pays
managed-emergency_keep_redial_entry = Appels d'urgence dans l'historique
managed-location_address = Votre adresse pour les appels d'urgence
managed-location_networks = Adresses des réseaux de votre organisation
managed-location_held_url = Serveur de localisation
managed-location_prompt_unknown_network = Demande d'adresse sur un réseau inconnu
managed-location_country = Le pays des numéros d'urgence
managed-sip_server = Serveur téléphonique
managed-sip_domain = Domaine téléphonique
managed-sip_emergency_line = Numéro de rappel d'urgence
managed-sip_outside_prefix = Préfixe de ligne extérieure
managed-ui_locale = Langue
managed-agreement = Avertissement sur les appels d'urgence
managed-audit = Journal d'audit
managed-notify = Personnes prévenues des appels d'urgence

## call
call-keypad_received = Tonalités reçues : { $digits }

## lock
lock-missed_title =
    { $count ->
        [one] { $count } appel refusé pendant ce temps
       *[other] { $count } appels refusés pendant ce temps
    }
lock-missed_item = { $remote } à { $time }

## toast
toast-microphone_lost = Le micro { $name } a été déconnecté ; utilisation de { $fallback }.
toast-speaker_lost = Le haut-parleur { $name } a été déconnecté ; utilisation de { $fallback }.
toast-ringer_lost = La sonnerie { $name } a été déconnectée ; utilisation de { $fallback }.
toast-microphone_unavailable = Aucun micro n'a pu être ouvert ({ $reason }). Vérifiez qu'un micro est branché.
toast-speaker_unavailable = Aucun haut-parleur n'a pu être ouvert ({ $reason }). Vérifiez vos réglages audio.
toast-ringer_unavailable = La sonnerie n'a pas pu être ouverte ({ $reason }). Les appels entrants sonnent sur le haut-parleur.

## history
history-title = Appels récents
history-empty = Aucun appel pour l'instant. Les appels passés et reçus apparaîtront ici.
history-hint = Choisissez un appel pour mettre son numéro dans le champ, puis appuyez sur Appeler.
history-outgoing = Sortant
history-incoming = Entrant
history-duration = durée
history-outcome_answered = Répondu
history-outcome_missed = Manqué
history-outcome_rejected = Refusé
history-outcome_cancelled = Annulé
history-outcome_failed = Échoué
history-outcome_redial = Appel d'urgence
history-redial_note = conservé pour pouvoir le recomposer

## devices
devices-choose_hint = Un changement s'applique tout de suite, même pendant un appel.
devices-option_default = Par défaut du système
devices-option_is_default = { $name } (par défaut du système)
devices-option_missing = { $name } (non connecté)
devices-in_use = Utilisé : { $name }

## toast
toast-call_rejected_emergency_line_protected = Appel de { $remote } refusé : la ligne reste libre pour le rappel des services d'urgence ({ $code }).
toast-call_rejected_do_not_disturb = Appel de { $remote } refusé : ne pas déranger ({ $code }).
toast-call_rejected_working_offline = Appel de { $remote } refusé : vous travaillez hors ligne ({ $code }).
toast-call_rejected_busy = Appel de { $remote } refusé : vous êtes déjà en ligne ({ $code }).

## end
end-cancelled = annulé
end-hung_up = vous avez raccroché
end-remote_hung_up = votre correspondant a raccroché
end-caller_cancelled = l'appelant a raccroché avant que vous répondiez
end-rejected = refusé
end-rejected_status = refusé ({ $status })
end-refused = l'appel a été refusé
end-refused_status = refusé ({ $status })
end-refused_404 = numéro introuvable ({ $status })
end-refused_480 = indisponible pour le moment ({ $status })
end-refused_486 = occupé ({ $status })
end-refused_603 = refusé par le correspondant ({ $status })
end-no_answer = le serveur téléphonique n'a pas répondu
end-no_answer_status = pas de réponse ({ $status })
end-connection_lost = la connexion au serveur téléphonique a été perdue
end-signed_out = vous vous êtes déconnecté
end-foreign_realm = refusé : le serveur a demandé votre mot de passe pour un autre domaine ; Lifeline ne l'a pas envoyé
end-foreign_realm_status = refusé : le serveur a demandé votre mot de passe pour un autre domaine ; Lifeline ne l'a pas envoyé ({ $status })

## error
error-not_signed_in = Connectez-vous avant de passer un appel.
error-invalid_target = Ce n'est pas un numéro ou une adresse que l'on peut appeler : { $detail }
error-agreement_required = Acceptez l'avertissement sur les appels d'urgence avant de passer des appels (les numéros d'urgence fonctionnent toujours).
error-no_call = Il n'y a pas d'appel pour cela.
error-no_call_answer = Il n'y a pas d'appel entrant à prendre.
error-no_call_reject = Il n'y a pas d'appel entrant à refuser.
error-no_call_hangup = Il n'y a pas d'appel à terminer.
error-no_call_dtmf = Les chiffres ne peuvent être envoyés que pendant un appel.
error-no_call_mute = Il n'y a pas d'appel dont couper le micro.
error-no_call_hold = Il n'y a pas d'appel en cours à mettre en attente ou à reprendre.
error-call_not_placed = L'appel n'a pas pu être passé : { $detail }
error-call_not_answered = L'appel n'a pas pu être pris : { $detail }
error-no_audio_offer = L'appel entrant ne proposait pas d'audio ; il a été refusé.
error-hold_refused = Le correspondant a refusé la mise en attente de l'appel ({ $status }).
error-hold_refused_resume = Le correspondant a refusé la reprise de l'appel ({ $status }).
error-move_refused = L'appel n'a pas pu passer sur le nouveau réseau ({ $status }) ; si vous ne vous entendez plus, rappelez.
error-call_media = Problème audio de l'appel : { $detail }
error-call_audio_path = Audio de l'appel : { $detail }
error-audio_settings = Réglages audio des appels : { $detail } ; les appels passent par les autres chemins.
error-audio_device = Périphérique audio : { $detail }
error-store_failed = Impossible d'enregistrer dans la base de données locale : { $detail }
error-emergency_state_failed = L'état du rappel d'urgence n'a pas pu être enregistré ou lu : { $detail }
error-store_replaced = La base de données locale était endommagée. Elle a été conservée sous le nom { $moved_to } et une nouvelle a été créée : l'historique des appels et votre acceptation de l'avertissement sur les appels d'urgence ont été perdus. Les appels d'urgence fonctionnent.
error-store_in_memory_true = Lifeline ne peut pas conserver ses données sur cet ordinateur. Ce qui avait été enregistré est utilisé, mais rien de nouveau n'est conservé : l'historique des appels n'est pas enregistré, les notifications d'urgence à votre organisation ne sont pas envoyées et un verrouillage pour le rappel d'urgence ne survivrait pas à un redémarrage. Les appels d'urgence fonctionnent. Prévenez votre service informatique.
error-store_in_memory = Lifeline ne peut pas conserver ses données sur cet ordinateur. Rien de ce qui avait été enregistré n'a pu être lu, et rien de nouveau n'est conservé : l'historique des appels n'est pas enregistré, les notifications d'urgence à votre organisation ne sont pas envoyées et un verrouillage pour le rappel d'urgence ne survivrait pas à un redémarrage. Les appels d'urgence fonctionnent. Prévenez votre service informatique.
error-engine_restarted = Le moteur téléphonique s'est arrêté de façon inattendue et a redémarré.
error-keychain = Le trousseau du système n'a pas pu lire ou garder le mot de passe : { $detail }
error-account_not_remembered = Le compte n'a pas pu être mémorisé : { $detail }
error-location_invalid = Cette adresse ne peut pas servir aux appels d'urgence : { $detail }
error-not_available = { $command } n'est pas disponible dans cette version.
error-sip_call = L'appel n'a pas pu faire cela : { $detail }
error-bad_command = Ce n'est pas une commande : { $detail }

## registration
registration-retrying = Lifeline réessaie.

## reg
reg-wrong_password = le serveur a refusé le nom d'utilisateur ou le mot de passe. Vérifiez-les et reconnectez-vous.
reg-unsupported_auth = le serveur demande une méthode de connexion que Lifeline ne prend pas en charge. Contactez le service informatique.
reg-forbidden = le serveur n'autorise pas ce compte à se connecter (403). Contactez le service informatique.
reg-unknown_user = le serveur ne connaît pas cet utilisateur (404). Vérifiez le nom d'utilisateur et le domaine.
reg-unreachable = le serveur SIP est injoignable ({ $detail }). Vérifiez l'adresse du serveur et votre connexion réseau.
reg-bad_address = l'adresse du serveur n'est pas valide ({ $detail }). Vérifiez-la : elle commence par wss://.
reg-connect_timeout = le serveur SIP n'a pas répondu en 10 s. Vérifiez votre connexion réseau, ou demandez au service informatique si le serveur fonctionne.
reg-websocket_refused = quelque chose a répondu à cette adresse, mais pas un serveur SIP ({ $detail }). Vérifiez l'adresse du serveur avec le service informatique.
reg-tls_not_trusted = le certificat de sécurité du serveur n'est pas reconnu ({ $detail }). Demandez au service informatique d'installer l'autorité de certification du serveur.
reg-tls_setup = les connexions sécurisées ne peuvent pas être établies sur cet ordinateur ({ $detail }). Contactez le service informatique.
reg-connection_lost = la connexion au serveur SIP a été perdue.
reg-timeout = le serveur SIP n'a pas répondu à temps.
reg-server_error = le serveur SIP a répondu { $status } { $detail }. Si cela continue, contactez le service informatique.
reg-insecure_transport = l'adresse { $server } n'est pas chiffrée (ws://). Utilisez l'adresse wss:// du serveur, ou le service informatique peut autoriser ws:// dans la politique (sip.allow_insecure_ws).
reg-message_too_large = le serveur SIP a envoyé un message de plus de 64 Kio, que Lifeline refuse. Contactez le service informatique.

## blocked
blocked-not_local = Le { $dialled } n'est pas un numéro d'urgence là où vous êtes ({ $country }). Ici, le numéro d'urgence est le { $local }.

## failed
failed-not_sent = L'appel d'urgence n'a pas pu être envoyé. Utilisez un autre téléphone maintenant et donnez cette adresse.
failed-not_connected = L'appel d'urgence n'a pas abouti. Utilisez un autre téléphone maintenant et donnez cette adresse.
failed-not_connected_status = L'appel d'urgence n'a pas abouti ({ $status }). Utilisez un autre téléphone maintenant et donnez cette adresse.
failed-restarted = Lifeline s'est arrêté de façon inattendue et a redémarré. Si vous avez besoin des secours maintenant, utilisez un autre téléphone.
failed-restarted_locked = Lifeline s'est arrêté de façon inattendue et a redémarré. Si vous avez besoin des secours maintenant, utilisez un autre téléphone. La ligne reste réservée au rappel d'urgence : l'appel du centre de secours sonnera ici.
failed-stalled = Lifeline ne répondait plus et a redémarré. Si vous avez besoin des secours maintenant, utilisez un autre téléphone.
failed-stalled_locked = Lifeline ne répondait plus et a redémarré. Si vous avez besoin des secours maintenant, utilisez un autre téléphone. La ligne reste réservée au rappel d'urgence : l'appel du centre de secours sonnera ici.

## media
media-cause_no_audio = aucun son n'est arrivé depuis { $seconds } s
media-cause_network_changed = le réseau a changé
media-cause_connection_failed = la connexion pour le son n'a pas pu être établie
media-cause_connection_lost = la connexion pour le son a été perdue

## device
device-cause_sound_system = le système audio est inaccessible : { $detail }
device-cause_not_found = « { $name } » n'est pas branché
device-cause_no_default = il n'y a pas d'appareil par défaut
device-cause_open_failed = « { $name } » n'a pas pu être ouvert : { $detail }

## error
error-during_emergency_call = Pas pendant un appel d'urgence : mise en attente, transfert, autres appels et changements de statut attendent sa fin.
error-callback_lock = La ligne reste libre pour le rappel des services d'urgence jusqu'à { $until } ; cela peut attendre jusque-là.
error-not_in_emergency = Lifeline n'est pas en mode urgence.
error-quit_during_emergency_call = Lifeline reste ouvert pendant l'appel d'urgence pour ne pas perdre la ligne ; la fenêtre a été réduite à la place.
error-quit_during_callback_lock = Lifeline reste ouvert et connecté : la ligne reste libre pour le rappel des services d'urgence jusqu'à { $until }. La fenêtre a été réduite à la place ; fermer la session ou éteindre l'ordinateur y met fin.

## settings
settings-self_test = Autotest d'appel d'urgence
settings-self_test_about = Un appel au service de test d'urgence vérifie que les appels d'urgence passent avec votre adresse. Il n'atteint pas les vrais services d'urgence.
settings-self_test_run = Lancer l'autotest
settings-self_test_running = Autotest en cours…
settings-self_test_never = Aucun autotest n'a encore été fait.
settings-self_test_passed = Dernier autotest réussi le { $at }.
settings-self_test_failed = Dernier autotest ÉCHOUÉ le { $at } : { $reason }
settings-self_test_failure_not_sent = l'appel de test n'a pas pu partir.
settings-self_test_failure_no_answer = la route d'urgence n'a pas répondu.
settings-self_test_failure_location_not_delivered = la route n'a répondu que sans votre adresse.
settings-self_test_failure_no_location = aucune adresse n'est connue pour l'envoi.
settings-self_test_not_now = L'autotest ne peut pas se faire en mode urgence ni pendant un appel.

## error
error-self_test_busy = L'autotest attend la fin de l'appel en cours (ou de l'autotest en cours).

## call
call-transfer = Transférer
call-add = Ajouter un appel
call-add_number = Numéro à appeler (cet appel est mis en attente)
call-add_send = Appeler
call-other_calls = Autres appels
call-swap = Basculer
call-swap_to = Basculer vers { $remote } : cet appel est mis en attente
call-end_other = Raccrocher l’appel avec { $remote }
call-answer_hold = Répondre et mettre en attente
call-merge = Fusionner les appels
call-split = Séparer
call-conference_with = Conférence : vous, ce correspondant et { $remote } vous entendez tous.
call-transfer_target = Transférer vers (numéro ou adresse)
call-transfer_send = Transférer l'appel
call-transfer_join = Transférer { $other } vers { $remote }
call-transfer_transferor_trying = Transfert en cours…
call-transfer_transferor_ringing = Le destinataire du transfert sonne…
call-transfer_transferor_succeeded = Transféré.
call-transfer_transferor_failed = Le transfert a échoué ({ $status }) ; l'appel reste avec vous.
call-transfer_transferor_failed_unconfirmed = Le correspondant n’a jamais confirmé le transfert ; l’appel reste avec vous.
call-transfer_transferor_refused = Le transfert a été refusé ; l'appel reste avec vous.
call-transfer_transferee_trying = Votre correspondant vous transfère : appel du nouveau correspondant…
call-transfer_transferee_ringing = Le nouveau correspondant sonne…
call-transfer_transferee_succeeded = Transféré vers le nouveau correspondant.
call-transfer_transferee_failed = Le transfert demandé par votre correspondant a échoué ({ $status }) ; cet appel continue.
call-transfer_transferee_refused = Votre correspondant a voulu transférer cet appel ; c'est refusé.

## toast
toast-transfer_failed = Le transfert a échoué ({ $status }) ; l'appel reste avec vous.

## end
end-transferred = transféré

call-auto_answered = Répondu automatiquement
managed-calls_auto_answer = Réponse automatique

settings-presence_server = Statut sur le serveur
settings-presence_server_published = Visible par le centre de contact
settings-presence_server_failing = Non visible pour l’instant ; nouvel essai en cours
settings-presence_server_off = Non visible : le serveur ne prend pas en charge la présence ({ $code }). Les appels ne sont pas concernés.
error-audio_settings_turn_credentials_refused = Le serveur TURN { $url } a refusé le nom d’utilisateur ou le mot de passe : vérifiez { $key }. Les appels passent par les autres chemins.
error-audio_settings_turn_refused = Le serveur TURN { $url } a refusé un relais (erreur { $status }) : vérifiez { $key } et les réglages du serveur. Les appels passent par les autres chemins.
error-audio_settings_turn_no_answer = Le serveur TURN { $url } n’a pas répondu en { $transport } en { $seconds } s : vérifiez que le pare-feu le laisse passer. Les appels passent par les autres chemins.
error-audio_settings_turn_unusable = Le serveur TURN { $url } a répondu d’une façon que cette application ne peut pas utiliser. Les appels passent par les autres chemins.
error-audio_settings_turn_unreachable = Le serveur TURN { $url } est injoignable. Les appels passent par les autres chemins.

## hotkeys
hotkeys-title = Raccourcis clavier
hotkeys-about = Ils fonctionnent pendant qu’un autre programme, comme votre CRM, a le focus.
hotkeys-action_answer = Répondre
hotkeys-action_hangup = Raccrocher
hotkeys-action_mute = Couper ou rétablir le micro
hotkeys-action_focus_dial = Aller au champ du numéro
hotkeys-off = Désactivé
hotkeys-change = Modifier
hotkeys-use_default = Utiliser { $keys }
hotkeys-press_keys = Appuyez sur les nouvelles touches (Échap annule)
hotkeys-needs_modifier = Utilisez Ctrl, Alt ou Super avec la touche, pour que la saisie dans les autres programmes fonctionne toujours.
hotkeys-problem_clash = { $keys } est déjà le raccourci de « { $other } ». Choisissez une autre combinaison.
hotkeys-problem_invalid = { $keys } n’est pas une combinaison de touches utilisable par Lifeline.
hotkeys-problem_refused = Le système n’a pas autorisé { $keys } : un autre programme l’utilise peut-être. Choisissez une autre combinaison.
managed-hotkeys = Raccourcis clavier
