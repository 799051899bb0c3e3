### Lifeline: emergency notices (email and webhooks) to the people the policy names, English.
### Rendered by the engine in each contact's language (notify.email_to / notify.webhooks "locale").
### { $agent } is the agent's name and user; { $time } the agent's local time, formatted for the language.

## Whether a native speaker has reviewed this translation (yes/no).
-reviewed = yes

## Email subject, one per kind of notice
notify-subject-dialed = EMERGENCY CALL placed by { $agent }
notify-subject-connected = Emergency call connected: { $agent }
notify-subject-ended = Emergency call ended: { $agent }
notify-subject-location_changed = Emergency call of { $agent }: LOCATION CHANGED, the dispatcher has the new one
notify-subject-self_test_passed = Emergency self-test passed: { $agent }
notify-subject-self_test_failed = Emergency self-test FAILED: { $agent } - emergency calls may not get through
notify-subject-dropped = Emergency call DROPPED: { $agent } - the dispatcher may call back

## Chat text (Slack, Teams, the generic webhook's "text"): *bold* is chat markup, keep the stars
notify-chat-dialed = :rotating_light: *EMERGENCY CALL* placed by *{ $agent }*
notify-chat-connected = Emergency call of *{ $agent }* connected
notify-chat-ended = Emergency call of *{ $agent }* ended
notify-chat-location_changed = :round_pushpin: Emergency call of *{ $agent }*: the location CHANGED during the call; the dispatcher has received the new one
notify-chat-self_test_passed = Emergency self-test of *{ $agent }* passed
notify-chat-self_test_failed = :warning: Emergency self-test of *{ $agent }* FAILED: emergency calls may not get through
notify-chat-dropped = :warning: Emergency call of *{ $agent }* DROPPED: the dispatcher may call back

## Email body: the opening lines, one per kind of notice
notify-intro-dialed =
    { $agent } dialled an emergency number at { $time }.
    The call is being placed now; the emergency services may call back.
notify-intro-connected = The emergency call of { $agent } was answered by the dispatcher at { $time }.
notify-intro-ended =
    The emergency call of { $agent } ended at { $time }.
    Keep the callback number free: the dispatcher may call back.
notify-intro-location_changed =
    The location of { $agent } CHANGED during the emergency call; the new location below was sent
    to the dispatcher in the call at { $time }.
notify-intro-self_test_passed =
    The emergency self-test of { $agent } passed at { $time }: the test call to the emergency
    test service was answered and carried the location below.
notify-intro-self_test_failed =
    The emergency self-test of { $agent } FAILED at { $time }.
    A real emergency call from this line may not reach the dispatcher, or may reach it without the address.
    Check the line, the emergency route and the location.
notify-intro-dropped =
    The emergency call of { $agent } DROPPED at { $time }.
    The dispatcher may call back; check on the agent.

## Headings and field names
notify-reason = Reason
notify-heading-agent = Agent
notify-heading-call = Call
notify-heading-location = Location sent to the emergency services
notify-heading-device = Device
notify-heading-time = Time
notify-field-user = User
notify-field-name = Name
notify-field-line = Extension/line
notify-field-caller_id = Caller ID sent
notify-field-callback = Callback number
notify-field-call_reference = Call reference
notify-field-location = Location
notify-field-floor = Floor
notify-field-room = Room
notify-field-source = Source
notify-field-location_source = Location source
notify-field-host = Host name
notify-field-ip = IP addresses
notify-field-agent_time = Agent's time
notify-field-utc = UTC
notify-no_location = No location was sent with this call.
notify-none_sent = none sent
notify-chat-floor = floor { $floor }
notify-chat-room = room { $room }

## Where the location came from
notify-source-network_map = network map
notify-source-held = location server (HELD, method { $method })
notify-source-agent = entered by the agent
notify-source-agent_unconfirmed = entered by the agent, not confirmed on the network they are on now

## Footer
notify-footer = Sent by Lifeline. Message key { $key }: a repeated delivery carries the same key.
