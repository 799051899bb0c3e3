### Lifeline : avis d'urgence (courriel et webhooks) aux personnes que la politique désigne, français.

## Relu par un locuteur natif (yes/no).
-reviewed = no

## Objet du courriel
notify-subject-dialed = APPEL D'URGENCE passé par { $agent }
notify-subject-connected = Appel d'urgence pris : { $agent }
notify-subject-ended = Appel d'urgence terminé : { $agent }
notify-subject-location_changed = Appel d'urgence de { $agent } : la POSITION A CHANGÉ, le centre de secours a la nouvelle
notify-subject-self_test_passed = Autotest d'urgence réussi : { $agent }
notify-subject-self_test_failed = Autotest d'urgence ÉCHOUÉ : { $agent } - les appels d'urgence risquent de ne pas passer
notify-subject-dropped = Appel d'urgence COUPÉ : { $agent } - le centre de secours peut rappeler

## Texte de messagerie (Slack, Teams, webhook générique)
notify-chat-dialed = :rotating_light: *APPEL D'URGENCE* passé par *{ $agent }*
notify-chat-connected = L'appel d'urgence de *{ $agent }* a été pris
notify-chat-ended = L'appel d'urgence de *{ $agent }* est terminé
notify-chat-location_changed = :round_pushpin: Appel d'urgence de *{ $agent }* : la position a CHANGÉ pendant l'appel ; le centre de secours a reçu la nouvelle
notify-chat-self_test_passed = Autotest d'urgence de *{ $agent }* réussi
notify-chat-self_test_failed = :warning: Autotest d'urgence de *{ $agent }* ÉCHOUÉ : les appels d'urgence risquent de ne pas passer
notify-chat-dropped = :warning: Appel d'urgence de *{ $agent }* COUPÉ : le centre de secours peut rappeler

## Début du courriel
notify-intro-dialed =
    { $agent } a composé un numéro d'urgence le { $time }.
    L'appel est en cours ; les secours peuvent rappeler.
notify-intro-connected = L'appel d'urgence de { $agent } a été pris par le centre de secours le { $time }.
notify-intro-ended =
    L'appel d'urgence de { $agent } s'est terminé le { $time }.
    Gardez le numéro de rappel libre : le centre de secours peut rappeler.
notify-intro-location_changed =
    La position de { $agent } a CHANGÉ pendant l'appel d'urgence ; la nouvelle position ci-dessous a été
    envoyée au centre de secours pendant l'appel le { $time }.
notify-intro-self_test_passed =
    L'autotest d'urgence de { $agent } a réussi le { $time } : l'appel de test au service de test
    d'urgence a abouti et portait la position ci-dessous.
notify-intro-self_test_failed =
    L'autotest d'urgence de { $agent } a ÉCHOUÉ le { $time }.
    Un vrai appel d'urgence depuis cette ligne peut ne pas joindre le centre de secours, ou le joindre sans l'adresse.
    Vérifiez la ligne, la route d'urgence et la position.
notify-intro-dropped =
    L'appel d'urgence de { $agent } a été COUPÉ le { $time }.
    Le centre de secours peut rappeler ; prenez des nouvelles de l'agent.

## Titres et noms de champs
notify-reason = Motif
notify-heading-agent = Agent
notify-heading-call = Appel
notify-heading-location = Position envoyée aux services d'urgence
notify-heading-device = Poste
notify-heading-time = Heure
notify-field-user = Utilisateur
notify-field-name = Nom
notify-field-line = Poste/ligne
notify-field-caller_id = Numéro présenté
notify-field-callback = Numéro de rappel
notify-field-call_reference = Référence de l'appel
notify-field-location = Position
notify-field-floor = Étage
notify-field-room = Salle
notify-field-source = Source
notify-field-location_source = Source de la position
notify-field-host = Nom d'hôte
notify-field-ip = Adresses IP
notify-field-agent_time = Heure de l'agent
notify-field-utc = UTC
notify-no_location = Aucune position n'a été envoyée avec cet appel.
notify-none_sent = aucune envoyée
notify-chat-floor = étage { $floor }
notify-chat-room = salle { $room }

## Origine de la position
notify-source-network_map = plan du réseau
notify-source-held = serveur de localisation (HELD, méthode { $method })
notify-source-agent = saisie par l'agent
notify-source-agent_unconfirmed = saisie par l'agent, non confirmée sur le réseau où il se trouve maintenant

## Pied de page
notify-footer = Envoyé par Lifeline. Clé du message { $key } : un nouvel envoi porte la même clé.
