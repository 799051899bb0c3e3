### Lifeline: avisos de emergência (e-mail e webhooks) às pessoas indicadas na política, português do Brasil.
### Tradução automática, não revisada por um falante nativo.

## Revisado por um falante nativo (yes/no).
-reviewed = no

## Assunto do e-mail
notify-subject-dialed = CHAMADA DE EMERGÊNCIA feita por { $agent }
notify-subject-connected = Chamada de emergência atendida: { $agent }
notify-subject-ended = Chamada de emergência encerrada: { $agent }
notify-subject-location_changed = Chamada de emergência de { $agent }: LOCALIZAÇÃO ALTERADA, a central tem a nova
notify-subject-self_test_passed = Autoteste de emergência aprovado: { $agent }
notify-subject-self_test_failed = Autoteste de emergência FALHOU: { $agent } - as chamadas de emergência podem não completar
notify-subject-dropped = Chamada de emergência CAIU: { $agent } - a central pode ligar de volta

## Texto de chat (Slack, Teams, webhook genérico)
notify-chat-dialed = :rotating_light: *CHAMADA DE EMERGÊNCIA* feita por *{ $agent }*
notify-chat-connected = Chamada de emergência de *{ $agent }* atendida
notify-chat-ended = Chamada de emergência de *{ $agent }* encerrada
notify-chat-location_changed = :round_pushpin: Chamada de emergência de *{ $agent }*: a localização MUDOU durante a chamada; a central recebeu a nova
notify-chat-self_test_passed = Autoteste de emergência de *{ $agent }* aprovado
notify-chat-self_test_failed = :warning: Autoteste de emergência de *{ $agent }* FALHOU: as chamadas de emergência podem não completar
notify-chat-dropped = :warning: Chamada de emergência de *{ $agent }* CAIU: a central pode ligar de volta

## Início do e-mail
notify-intro-dialed =
    { $agent } discou um número de emergência em { $time }.
    A chamada está sendo feita agora; os serviços de emergência podem ligar de volta.
notify-intro-connected = A chamada de emergência de { $agent } foi atendida pela central em { $time }.
notify-intro-ended =
    A chamada de emergência de { $agent } terminou em { $time }.
    Mantenha o número de retorno livre: a central pode ligar de volta.
notify-intro-location_changed =
    A localização de { $agent } MUDOU durante a chamada de emergência; a nova localização abaixo foi enviada
    à central na chamada em { $time }.
notify-intro-self_test_passed =
    O autoteste de emergência de { $agent } foi aprovado em { $time }: a chamada de teste ao serviço de
    teste de emergência foi atendida e levou a localização abaixo.
notify-intro-self_test_failed =
    O autoteste de emergência de { $agent } FALHOU em { $time }.
    Uma chamada de emergência real desta linha pode não chegar à central, ou chegar sem o endereço.
    Verifique a linha, a rota de emergência e a localização.
notify-intro-dropped =
    A chamada de emergência de { $agent } CAIU em { $time }.
    A central pode ligar de volta; verifique como o agente está.

## Títulos e nomes dos campos
notify-reason = Motivo
notify-heading-agent = Agente
notify-heading-call = Chamada
notify-heading-location = Localização enviada aos serviços de emergência
notify-heading-device = Dispositivo
notify-heading-time = Horário
notify-field-user = Usuário
notify-field-name = Nome
notify-field-line = Ramal/linha
notify-field-caller_id = Número de origem enviado
notify-field-callback = Número de retorno
notify-field-call_reference = Referência da chamada
notify-field-location = Localização
notify-field-floor = Andar
notify-field-room = Sala
notify-field-source = Origem
notify-field-location_source = Origem da localização
notify-field-host = Nome do host
notify-field-ip = Endereços IP
notify-field-agent_time = Horário do agente
notify-field-utc = UTC
notify-no_location = Nenhuma localização foi enviada com esta chamada.
notify-none_sent = nenhuma enviada
notify-chat-floor = andar { $floor }
notify-chat-room = sala { $room }

## De onde veio a localização
notify-source-network_map = mapa da rede
notify-source-held = servidor de localização (HELD, método { $method })
notify-source-agent = informada pelo agente
notify-source-agent_unconfirmed = informada pelo agente, não confirmada na rede em que ele está agora

## Rodapé
notify-footer = Enviado pelo Lifeline. Chave da mensagem { $key }: um reenvio traz a mesma chave.
