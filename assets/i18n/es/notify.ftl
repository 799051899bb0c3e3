### Lifeline: avisos de emergencia (correo y webhooks) a las personas que indica la política, español.
### Traducción automática, no revisada por un hablante nativo.

## Revisada por un hablante nativo (yes/no).
-reviewed = no

## Asunto del correo
notify-subject-dialed = LLAMADA DE EMERGENCIA realizada por { $agent }
notify-subject-connected = Llamada de emergencia atendida: { $agent }
notify-subject-ended = Llamada de emergencia terminada: { $agent }
notify-subject-location_changed = Llamada de emergencia de { $agent }: la UBICACIÓN CAMBIÓ, el centro de despacho tiene la nueva
notify-subject-self_test_passed = Autoprueba de emergencia superada: { $agent }
notify-subject-self_test_failed = Autoprueba de emergencia FALLIDA: { $agent } - es posible que las llamadas de emergencia no se completen
notify-subject-dropped = Llamada de emergencia CORTADA: { $agent } - el centro de despacho puede devolver la llamada

## Texto de chat (Slack, Teams, webhook genérico)
notify-chat-dialed = :rotating_light: *LLAMADA DE EMERGENCIA* realizada por *{ $agent }*
notify-chat-connected = Llamada de emergencia de *{ $agent }* atendida
notify-chat-ended = Llamada de emergencia de *{ $agent }* terminada
notify-chat-location_changed = :round_pushpin: Llamada de emergencia de *{ $agent }*: la ubicación CAMBIÓ durante la llamada; el centro de despacho recibió la nueva
notify-chat-self_test_passed = Autoprueba de emergencia de *{ $agent }* superada
notify-chat-self_test_failed = :warning: Autoprueba de emergencia de *{ $agent }* FALLIDA: es posible que las llamadas de emergencia no se completen
notify-chat-dropped = :warning: Llamada de emergencia de *{ $agent }* CORTADA: el centro de despacho puede devolver la llamada

## Comienzo del correo
notify-intro-dialed =
    { $agent } marcó un número de emergencia el { $time }.
    La llamada se está realizando ahora; los servicios de emergencia pueden devolver la llamada.
notify-intro-connected = El centro de despacho atendió la llamada de emergencia de { $agent } el { $time }.
notify-intro-ended =
    La llamada de emergencia de { $agent } terminó el { $time }.
    Mantenga libre el número de devolución de llamada: el centro de despacho puede llamar.
notify-intro-location_changed =
    La ubicación de { $agent } CAMBIÓ durante la llamada de emergencia; la nueva ubicación de abajo se envió
    al centro de despacho en la llamada el { $time }.
notify-intro-self_test_passed =
    La autoprueba de emergencia de { $agent } se superó el { $time }: la llamada de prueba al servicio de
    prueba de emergencia fue atendida y llevó la ubicación de abajo.
notify-intro-self_test_failed =
    La autoprueba de emergencia de { $agent } FALLÓ el { $time }.
    Una llamada de emergencia real desde esta línea podría no llegar al centro de despacho, o llegar sin la dirección.
    Revise la línea, la ruta de emergencia y la ubicación.
notify-intro-dropped =
    La llamada de emergencia de { $agent } se CORTÓ el { $time }.
    El centro de despacho puede devolver la llamada; compruebe cómo está el agente.

## Títulos y nombres de campos
notify-reason = Motivo
notify-heading-agent = Agente
notify-heading-call = Llamada
notify-heading-location = Ubicación enviada a los servicios de emergencia
notify-heading-device = Dispositivo
notify-heading-time = Hora
notify-field-user = Usuario
notify-field-name = Nombre
notify-field-line = Extensión/línea
notify-field-caller_id = Identificador de llamada enviado
notify-field-callback = Número de devolución de llamada
notify-field-call_reference = Referencia de la llamada
notify-field-location = Ubicación
notify-field-floor = Piso
notify-field-room = Sala
notify-field-source = Origen
notify-field-location_source = Origen de la ubicación
notify-field-host = Nombre del equipo
notify-field-ip = Direcciones IP
notify-field-agent_time = Hora del agente
notify-field-utc = UTC
notify-no_location = No se envió ninguna ubicación con esta llamada.
notify-none_sent = no se envió
notify-chat-floor = piso { $floor }
notify-chat-room = sala { $room }

## De dónde vino la ubicación
notify-source-network_map = mapa de la red
notify-source-held = servidor de ubicación (HELD, método { $method })
notify-source-agent = ingresada por el agente
notify-source-agent_unconfirmed = ingresada por el agente, no confirmada en la red en la que está ahora

## Pie
notify-footer = Enviado por Lifeline. Clave del mensaje { $key }: un reenvío lleva la misma clave.
