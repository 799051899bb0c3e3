### Lifeline: mga abiso ng emergency (email at webhook) sa mga taong nakasaad sa patakaran, Filipino.
### Isinalin ng makina, hindi pa nasusuri ng katutubong nagsasalita.

## Nasuri ng katutubong nagsasalita (yes/no).
-reviewed = no

## Paksa ng email
notify-subject-dialed = EMERGENCY CALL na ginawa ni { $agent }
notify-subject-connected = Nasagot ang emergency call: { $agent }
notify-subject-ended = Natapos ang emergency call: { $agent }
notify-subject-location_changed = Emergency call ni { $agent }: NAGBAGO ANG LOKASYON, nasa dispatcher na ang bago
notify-subject-self_test_passed = Pumasa ang emergency self-test: { $agent }
notify-subject-self_test_failed = BUMAGSAK ang emergency self-test: { $agent } - maaaring hindi makalusot ang mga emergency call
notify-subject-dropped = NAPUTOL ang emergency call: { $agent } - maaaring tumawag pabalik ang dispatcher

## Teksto sa chat (Slack, Teams, generic webhook)
notify-chat-dialed = :rotating_light: *EMERGENCY CALL* na ginawa ni *{ $agent }*
notify-chat-connected = Nasagot ang emergency call ni *{ $agent }*
notify-chat-ended = Natapos ang emergency call ni *{ $agent }*
notify-chat-location_changed = :round_pushpin: Emergency call ni *{ $agent }*: NAGBAGO ang lokasyon habang tumatawag; natanggap na ng dispatcher ang bago
notify-chat-self_test_passed = Pumasa ang emergency self-test ni *{ $agent }*
notify-chat-self_test_failed = :warning: BUMAGSAK ang emergency self-test ni *{ $agent }*: maaaring hindi makalusot ang mga emergency call
notify-chat-dropped = :warning: NAPUTOL ang emergency call ni *{ $agent }*: maaaring tumawag pabalik ang dispatcher

## Simula ng email
notify-intro-dialed =
    Nag-dial si { $agent } ng emergency number noong { $time }.
    Ginagawa na ang tawag; maaaring tumawag pabalik ang mga emergency service.
notify-intro-connected = Sinagot ng dispatcher ang emergency call ni { $agent } noong { $time }.
notify-intro-ended =
    Natapos ang emergency call ni { $agent } noong { $time }.
    Panatilihing bakante ang callback number: maaaring tumawag pabalik ang dispatcher.
notify-intro-location_changed =
    NAGBAGO ang lokasyon ni { $agent } habang nasa emergency call; ipinadala ang bagong lokasyon sa ibaba
    sa dispatcher sa tawag noong { $time }.
notify-intro-self_test_passed =
    Pumasa ang emergency self-test ni { $agent } noong { $time }: sinagot ng emergency test service ang
    test call at dala nito ang lokasyon sa ibaba.
notify-intro-self_test_failed =
    BUMAGSAK ang emergency self-test ni { $agent } noong { $time }.
    Maaaring hindi umabot sa dispatcher ang totoong emergency call mula sa linyang ito, o umabot nang walang address.
    Suriin ang linya, ang emergency route at ang lokasyon.
notify-intro-dropped =
    NAPUTOL ang emergency call ni { $agent } noong { $time }.
    Maaaring tumawag pabalik ang dispatcher; kumustahin ang agent.

## Mga heading at pangalan ng field
notify-reason = Dahilan
notify-heading-agent = Agent
notify-heading-call = Tawag
notify-heading-location = Lokasyong ipinadala sa mga emergency service
notify-heading-device = Device
notify-heading-time = Oras
notify-field-user = User
notify-field-name = Pangalan
notify-field-line = Extension/linya
notify-field-caller_id = Ipinadalang caller ID
notify-field-callback = Callback number
notify-field-call_reference = Reference ng tawag
notify-field-location = Lokasyon
notify-field-floor = Palapag
notify-field-room = Kuwarto
notify-field-source = Pinagmulan
notify-field-location_source = Pinagmulan ng lokasyon
notify-field-host = Host name
notify-field-ip = Mga IP address
notify-field-agent_time = Oras ng agent
notify-field-utc = UTC
notify-no_location = Walang lokasyong ipinadala kasama ng tawag na ito.
notify-none_sent = walang ipinadala
notify-chat-floor = palapag { $floor }
notify-chat-room = kuwarto { $room }

## Saan nagmula ang lokasyon
notify-source-network_map = mapa ng network
notify-source-held = location server (HELD, paraan { $method })
notify-source-agent = inilagay ng agent
notify-source-agent_unconfirmed = inilagay ng agent, hindi pa nakumpirma sa network kung nasaan siya ngayon

## Footer
notify-footer = Ipinadala ng Lifeline. Message key { $key }: pareho ang key ng inulit na pagpapadala.
