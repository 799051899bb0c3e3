### Lifeline: the UI's and the engine's messages, English.
### Message ids are the UI's keys with "-" for "." (app.name is app-name).

## Whether a native speaker has reviewed this translation (yes/no): the agreement footer says so when not.
-reviewed = yes

## app
app-name = Lifeline
app-connecting = Connecting to the phone engine…
app-connecting_slow = Still waiting for the phone engine. If this lasts more than a minute, restart Lifeline.

## lab
lab-badge = Lab
lab-explanation = Lab setup: emergency numbers you dial here reach the lab's simulated dispatcher, never real emergency services.

## registration
registration-registered = Registered
registration-registered_as = Registered as { $who }
registration-unregistered = Not registered
registration-failed = Registration failed
registration-failed_reason = Registration failed: { $reason }
registration-signing_in = Signing in…
registration-unknown = Registration status not known yet

## agreement
agreement-text_label = Emergency-services warning
agreement-version = Version { $version }
agreement-unreviewed = This translation was made by machine and has not been reviewed by a native speaker.
agreement-accept = Accept
agreement-emergency_label = Emergency number
agreement-emergency_hint = Your line is ready for emergency calls even before you accept. Type the number, then call.
agreement-emergency_call = Call emergency number

## call
call-emergency_hint = Emergency? Type the number here and call: this call is put on hold.

## incoming
incoming-emergency_hint = Emergency? Type the number here and call: this call is refused.

## signin
signin-emergency_hint = Not signed in: this line cannot call yet. Dialling an emergency number shows the address to give from another phone.
signin-title = Sign in
signin-server = Server
signin-server_hint = WebSocket address, for example wss://sip.example.com
signin-server_invalid = Enter an address that starts with ws:// or wss://
signin-domain = Domain
signin-user = User
signin-password = Password
signin-remember = Remember on this computer
signin-incomplete = Fill in every field to sign in.
signin-submit = Sign in
signin-signing_in = Signing in…

## softphone
softphone-title = Phone
softphone-number = Number to call
softphone-backspace = Delete last digit
softphone-pad = Dial pad
softphone-call = Call
softphone-last_call = Last call with { $remote } ended.
softphone-last_call_reason = Last call with { $remote } ended: { $reason }

## pad
pad-star = Star
pad-hash = Hash

## presence
presence-label = Status
presence-available = Available
presence-busy = Busy
presence-do_not_disturb = Do not disturb
presence-away = Away
presence-working_offline = Working offline
presence-forced = Set by emergency mode: your usual status comes back when it ends.
presence-refused_emergency = Your status stays { $status } during emergency mode, so the emergency call taker can always reach you.
presence-overridden_elsewhere = Your status was set to { $status } elsewhere (another device or the contact center). Emergency mode keeps it at { $current }, so the emergency call taker can always reach you.
presence-set_elsewhere = Set elsewhere (another device or the contact center).

## incoming
incoming-title = Incoming call
incoming-while_in_call = You are still in a call with { $remote }.

## call
call-answer = Answer
call-reject = Reject
call-end = End call
call-mute = Mute
call-hold = Hold
call-keypad = Keypad
call-keypad_hint = Type or press keys to send tones.
call-keypad_sent = Sent: { $digits }
call-title_in = Call from
call-title_out = Call to
call-timer_label = Call time
call-state_dialing = Calling…
call-state_ringing = Ringing…
call-state_incoming = Incoming…
call-state_connected = Connected
call-state_held = On hold
call-state_held_time = On hold · { $time }

## emergency
emergency-in_progress = Emergency call in progress
emergency-callback_in_progress = Emergency callback in progress
emergency-location_title = Location being sent
emergency-location_source = From { $source }
emergency-location_unknown = If the call taker asks, tell them where you are: building, floor and room.
emergency-location_unconfirmed = You entered this address on another network and have not confirmed it here: tell the call taker where you are.
emergency-remain = Remain in emergency mode
emergency-exit = Exit emergency mode

## location
location-source_policy = your organisation's settings
location-source_network = the network you are connected to
location-source_user = the address you entered

## devices
devices-title = Audio devices
devices-input = Microphone
devices-output = Speaker
devices-ringer = Ringer
devices-system_default = System default
devices-not_reported = Lifeline uses the system's default devices. Change them in your computer's sound settings.

## callback
callback-title = Emergency services are calling back
callback-explanation = Answer now: the emergency call taker is trying to reach you again.

## lock
lock-title = Line kept free for the emergency callback
lock-countdown = { $time } left (until { $until })
lock-explanation = Ordinary calls are turned away until then, and the emergency call taker's callback always rings, even on Do not disturb.

## remain
remain-title = Emergency mode is on
remain-until = Until { $time }, unless you exit sooner.
remain-explanation = Ordinary calls are turned away and emergency services can still call you back.

## prompt
prompt-title = The callback period is over
prompt-text = Remain in emergency mode if emergency services may still need to reach you. Otherwise exit to take ordinary calls again.

## settings
settings-open = Settings
settings-title = Settings
settings-back = Back
settings-account = Account
settings-none = Not set
settings-sign_out = Sign out
settings-sign_out_emergency = Emergency mode is on: if you sign out, emergency services cannot call you back here.
settings-sign_out_anyway = Sign out anyway
settings-agreement = Emergency-services warning
settings-agreement_accepted = Version { $version } accepted on { $at }.
settings-agreement_not_accepted = Not accepted yet.
settings-language = Language
settings-language_auto = Automatic
settings-startup = Startup
settings-start_at_login = Start Lifeline when I log in
settings-about = About
settings-version = Version
settings-mode = Mode
settings-mode_lab = Lab
settings-mode_production = Production
settings-mock = simulated engine
settings-bridge = headless engine (development bridge)

## toast
toast-region = Notifications
toast-dismiss = Dismiss
toast-attach_failed = Lifeline cannot reach its phone engine: { $detail }. Restart Lifeline; if this keeps happening, tell your IT team.
toast-send_failed = Lifeline could not pass that on to the phone engine: { $detail }
toast-call_rejected = Call with { $remote } turned away: { $reason } ({ $code })
toast-enter_number = Type a number first.

## emergency
emergency-location_known_title = Your location on record

## location
location-source_network_map = your organisation's map of its networks
location-source_held = your network's location server
location-source_agent = the address you entered
location-settings_title = Your location for emergency calls
location-none = Lifeline does not know where you are. Emergency calls go out without an address until you enter one.
location-change = Enter another address
location-enter = Enter your address
location-save = Save address
location-cancel = Cancel
location-prompt_missing_title = Where are you?
location-prompt_missing = Lifeline does not know your address. Enter it now so that an emergency call can tell the call taker where to come.
location-prompt_unknown_title = New network: are you still here?
location-prompt_unknown = You are on a network Lifeline does not know. If you have moved, enter where you are now.
location-prompt_confirm_title = Are you still at this address?
location-prompt_confirm = You entered it on another network. Emergency calls still carry it until you confirm it or enter where you are now.
location-confirm = Yes, I am still here
location-field_hno = House number
location-field_rd = Street
location-field_bld = Building
location-field_flr = Floor
location-field_room = Room
location-field_a3 = City
location-field_a1 = State or province
location-field_pc = Postal code
location-field_country = Country
location-field_country_hint = Two-letter code, for example US, GB or DE.

## media
media-connected = Audio connected
media-receiving = Audio connected, sound arriving
media-receiving_codec = Audio connected, sound arriving ({ $codec })
media-failed = No audio on this call: the connection for sound failed. The call stays up; end it and call again if you cannot hear each other.
media-failed_reason = No audio on this call: { $reason }. The call stays up; end it and call again if you cannot hear each other.
media-no_audio = No audio is reaching you. The call is still connected; check your network or headset.
media-reconnecting = Network changed — reconnecting audio…
media-reconnecting_emergency = Network changed — reconnecting audio… Stay on the line.
media-path_direct = Audio: direct ({ $kind })
media-path_nat = Audio: via NAT ({ $kind })
media-path_relay = Audio: relay · TURN over { $protocol }
media-path_relay_server = Audio: relay · TURN over { $protocol } · { $server }
media-path_other = Audio: { $kind }

## emergency
emergency-no_audio_title = No audio is reaching you
emergency-media_failed_title = The connection for sound failed
emergency-no_audio_read_address = Stay on the line and read out your address: the call taker may hear you even if you hear nothing.
emergency-no_audio_say_where = Stay on the line and say where you are (building, floor and room): the call taker may hear you even if you hear nothing.
emergency-no_audio_other_phone = Or call the emergency number from another phone.

## devices
devices-unavailable = Not available
devices-change_hint = To use other devices, change them in your computer's sound settings.

## failed
failed-title = Use another phone now
failed-address_title = Give the call taker this address
failed-no_address = Lifeline has no address for you: tell the call taker your building, floor and room.
failed-explanation = Call the emergency number from a mobile or desk phone now.
failed-close = Close

## blocked
blocked-title = That number was not dialled
blocked-call_offer = Call { $number }
blocked-dismiss = Dismiss

## policy
policy-warnings_title = Some of your organisation's settings could not be used
policy-warnings_hint = Lifeline uses the rest of them. Tell your IT team.

## store
store-title = Lifeline cannot keep its data as usual

## managed
managed-title = Managed by your organisation
managed-tag = Managed by your organisation
managed-hint = Your IT team sets these; you cannot change them here.
managed-emergency_lock_minutes = How long the line is kept free for the emergency callback
managed-emergency_callback_from = Who counts as the emergency services calling back
managed-emergency_status_during = Your status during emergency mode
managed-emergency_number_mismatch = Emergency numbers of other countries
managed-emergency_keep_redial_entry = Emergency calls in the call history
managed-location_address = Your address for emergency calls
managed-location_networks = Addresses of your organisation's networks
managed-location_held_url = Location server
managed-location_prompt_unknown_network = Asking for your address on unknown networks
managed-location_country = The country for emergency numbers
managed-sip_server = Phone server
managed-sip_domain = Phone domain
managed-sip_emergency_line = Emergency callback number
managed-sip_outside_prefix = Outside-line prefix
managed-ui_locale = Language
managed-agreement = Emergency-services warning
managed-audit = Audit log
managed-notify = Who is told about emergency calls

## call
call-keypad_received = Tones received: { $digits }

## lock
lock-missed_title =
    { $count ->
        [one] One call turned away meanwhile
       *[other] { $count } calls turned away meanwhile
    }
lock-missed_item = { $remote } at { $time }

## toast
toast-microphone_lost = Microphone { $name } was disconnected; now using { $fallback }.
toast-speaker_lost = Speaker { $name } was disconnected; now using { $fallback }.
toast-ringer_lost = Ringer { $name } was disconnected; now using { $fallback }.
toast-microphone_unavailable = No microphone could be opened ({ $reason }). Check that one is connected.
toast-speaker_unavailable = No speaker could be opened ({ $reason }). Check your sound settings.
toast-ringer_unavailable = The ringer could not be opened ({ $reason }). Incoming calls ring on the speaker.

## history
history-title = Recent calls
history-empty = No calls yet. Calls you make and receive will appear here.
history-hint = Choose a call to put its number in the number field, then press Call.
history-outgoing = Outgoing
history-incoming = Incoming
history-duration = lasted
history-outcome_answered = Answered
history-outcome_missed = Missed
history-outcome_rejected = Rejected
history-outcome_cancelled = Cancelled
history-outcome_failed = Failed
history-outcome_redial = Emergency call
history-redial_note = kept so you can dial it again

## devices
devices-choose_hint = A change applies at once, also during a call.
devices-option_default = System default
devices-option_is_default = { $name } (system default)
devices-option_missing = { $name } (not connected)
devices-in_use = In use: { $name }

## toast
toast-call_rejected_emergency_line_protected = Call with { $remote } turned away: the line is kept free for the emergency services to call back ({ $code }).
toast-call_rejected_do_not_disturb = Call with { $remote } turned away: do not disturb ({ $code }).
toast-call_rejected_working_offline = Call with { $remote } turned away: you are working offline ({ $code }).
toast-call_rejected_busy = Call with { $remote } turned away: you are already on a call ({ $code }).

## end
end-cancelled = cancelled
end-hung_up = you hung up
end-remote_hung_up = the other side hung up
end-caller_cancelled = the caller hung up before it was answered
end-rejected = declined
end-rejected_status = declined ({ $status })
end-refused = the call was refused
end-refused_status = refused ({ $status })
end-refused_404 = number not found ({ $status })
end-refused_480 = not available right now ({ $status })
end-refused_486 = busy ({ $status })
end-refused_603 = declined by the other side ({ $status })
end-no_answer = the phone server did not answer
end-no_answer_status = no answer ({ $status })
end-connection_lost = the connection to the phone server was lost
end-signed_out = you signed out
end-foreign_realm = refused: the server asked for your password for another realm; Lifeline did not send it
end-foreign_realm_status = refused: the server asked for your password for another realm; Lifeline did not send it ({ $status })

## error
error-not_signed_in = Sign in before placing a call.
error-invalid_target = This is not a number or address that can be called: { $detail }
error-agreement_required = Accept the emergency-services warning before making calls (emergency numbers always work).
error-no_call = There is no call for that.
error-no_call_answer = There is no incoming call to answer.
error-no_call_reject = There is no incoming call to reject.
error-no_call_hangup = There is no call to end.
error-no_call_dtmf = Digits can only be sent during a call.
error-no_call_mute = There is no call to mute.
error-no_call_hold = There is no call in conversation to hold or resume.
error-call_not_placed = The call could not be placed: { $detail }
error-call_not_answered = The call could not be answered: { $detail }
error-no_audio_offer = The incoming call offered no audio; it was refused.
error-hold_refused = The other side refused to put the call on hold ({ $status }).
error-hold_refused_resume = The other side refused to resume the call ({ $status }).
error-move_refused = The call could not be moved to the new network ({ $status }); if you cannot hear each other, call again.
error-call_media = Call audio problem: { $detail }
error-call_audio_path = Call audio: { $detail }
error-audio_settings = Call audio settings: { $detail }; calls use the other paths.
error-audio_device = Sound device: { $detail }
error-store_failed = Could not save to the local database: { $detail }
error-emergency_state_failed = The emergency callback state could not be saved or read: { $detail }
error-store_replaced = The local database was damaged. It was kept as { $moved_to } and a new one was made: the call history and your acceptance of the emergency-calling warning from before are gone. Emergency calls work.
error-store_in_memory_true = Lifeline cannot keep its data on this computer. What was saved before is in use, but nothing new is kept: call history is not saved, emergency notifications to your organisation are not sent, and an emergency callback lock would not survive a restart. Emergency calls work. Tell your IT department.
error-store_in_memory = Lifeline cannot keep its data on this computer. Nothing saved before could be read, and nothing new is kept: call history is not saved, emergency notifications to your organisation are not sent, and an emergency callback lock would not survive a restart. Emergency calls work. Tell your IT department.
error-engine_restarted = The phone engine stopped unexpectedly and was restarted.
error-keychain = The system keychain could not read or keep the password: { $detail }
error-account_not_remembered = The account could not be remembered: { $detail }
error-location_invalid = This address cannot be used for emergency calls: { $detail }
error-not_available = { $command } is not available in this version.
error-sip_call = The call could not do that: { $detail }
error-bad_command = Not a command: { $detail }

## registration
registration-retrying = Lifeline keeps trying.

## reg
reg-wrong_password = the server refused the user name or password. Check both and sign in again.
reg-unsupported_auth = the server asks for a sign-in method Lifeline does not support. Contact IT.
reg-forbidden = the server does not allow this account to sign in (403). Contact IT.
reg-unknown_user = the server does not know this user (404). Check the user name and the domain.
reg-unreachable = the SIP server cannot be reached ({ $detail }). Check the server address and your network connection.
reg-bad_address = the server address is not valid ({ $detail }). Check it: it starts with wss://.
reg-connect_timeout = the SIP server did not answer within 10 s. Check your network connection, or ask IT whether the server is up.
reg-websocket_refused = something answered at this address, but not a SIP server ({ $detail }). Check the server address with IT.
reg-tls_not_trusted = the server's security certificate is not trusted ({ $detail }). Ask IT to install the server's certificate authority.
reg-tls_setup = secure connections cannot be set up on this computer ({ $detail }). Contact IT.
reg-connection_lost = the connection to the SIP server was lost.
reg-timeout = the SIP server did not answer in time.
reg-server_error = the SIP server answered { $status } { $detail }. If this goes on, contact IT.
reg-insecure_transport = the address { $server } is not encrypted (ws://). Use the server's wss:// address, or IT can allow ws:// in the policy (sip.allow_insecure_ws).
reg-message_too_large = the SIP server sent a message over 64 KiB, which Lifeline refuses. Contact IT.

## blocked
blocked-not_local = { $dialled } is not an emergency number in { $country }, where you are. The emergency number here is { $local }.

## failed
failed-not_sent = The emergency call could not be sent. Use another phone now and give this address.
failed-not_connected = The emergency call was not connected. Use another phone now and give this address.
failed-not_connected_status = The emergency call was not connected ({ $status }). Use another phone now and give this address.
failed-restarted = Lifeline stopped unexpectedly and has restarted. If you need emergency help now, use another phone.
failed-restarted_locked = Lifeline stopped unexpectedly and has restarted. If you need emergency help now, use another phone. The emergency callback lock is still on: the dispatcher's call will ring here.
failed-stalled = Lifeline stopped responding and has restarted. If you need emergency help now, use another phone.
failed-stalled_locked = Lifeline stopped responding and has restarted. If you need emergency help now, use another phone. The emergency callback lock is still on: the dispatcher's call will ring here.

## media
media-cause_no_audio = no audio has arrived for { $seconds } s
media-cause_network_changed = the network changed
media-cause_connection_failed = the connection for sound could not be set up
media-cause_connection_lost = the connection for sound was lost

## device
device-cause_sound_system = the sound system cannot be reached: { $detail }
device-cause_not_found = “{ $name }” is not connected
device-cause_no_default = there is no default device
device-cause_open_failed = “{ $name }” could not be opened: { $detail }

## error
error-during_emergency_call = Not during an emergency call: hold, transfer, other calls and status changes wait until it ends.
error-callback_lock = The line is kept free for the emergency services to call back until { $until }; this can wait until then.
error-not_in_emergency = Lifeline is not in emergency mode.
error-quit_during_emergency_call = Lifeline stays open during the emergency call, so the line is not lost; the window was minimised instead.
error-quit_during_callback_lock = Lifeline stays open and signed in: the line is kept free for the emergency services to call back until { $until }. The window was minimised instead; logging off or shutting down the computer ends it.

## settings
settings-self_test = Emergency self-test
settings-self_test_about = A test call to the emergency test service checks that emergency calls get through with your location. It does not reach real emergency services.
settings-self_test_run = Run self-test
settings-self_test_running = Self-test running…
settings-self_test_never = No self-test has run yet.
settings-self_test_passed = Last self-test passed on { $at }.
settings-self_test_failed = Last self-test FAILED on { $at }: { $reason }
settings-self_test_failure_not_sent = the test call could not be sent.
settings-self_test_failure_no_answer = the emergency route did not answer.
settings-self_test_failure_location_not_delivered = the route answered only without your location.
settings-self_test_failure_no_location = no location is known to send.
settings-self_test_not_now = The self-test cannot run during emergency mode or a call.

## error
error-self_test_busy = The self-test waits until the call in progress (or the self-test running) ends.

## call
call-transfer = Transfer
call-add = Add call
call-add_number = Number to call (this call is put on hold)
call-add_send = Call
call-other_calls = Other calls
call-swap = Swap
call-swap_to = Swap to { $remote }: this call is put on hold
call-end_other = End call with { $remote }
call-answer_hold = Answer and hold
call-merge = Merge calls
call-split = Split
call-conference_with = Conference: you, this caller and { $remote } all hear each other.
call-transfer_target = Transfer to (number or address)
call-transfer_send = Transfer the call
call-transfer_join = Transfer { $other } to { $remote }
call-transfer_transferor_trying = Transferring…
call-transfer_transferor_ringing = The transfer target is ringing…
call-transfer_transferor_succeeded = Transferred.
call-transfer_transferor_failed = The transfer failed ({ $status }); the call is still with you.
call-transfer_transferor_failed_unconfirmed = The far end never confirmed the transfer; the call is still with you.
call-transfer_transferor_refused = The transfer was refused; the call is still with you.
call-transfer_transferee_trying = The other side is transferring you: calling the new party…
call-transfer_transferee_ringing = The new party is ringing…
call-transfer_transferee_succeeded = Transferred to the new party.
call-transfer_transferee_failed = The other side's transfer failed ({ $status }); this call stays.
call-transfer_transferee_refused = The other side tried to transfer this call; it was refused.

## toast
toast-transfer_failed = The transfer failed ({ $status }); the call is still with you.

## end
end-transferred = transferred

call-auto_answered = Answered automatically
managed-calls_auto_answer = Auto-answer

settings-presence_server = Status on the server
settings-presence_server_published = Shown to the contact center
settings-presence_server_failing = Not shown at the moment; trying again
settings-presence_server_off = Not shown: the server does not support presence ({ $code }). Calls are not affected.
error-audio_settings_turn_credentials_refused = The TURN server { $url } refused the user name or password: check { $key }. Calls use the other paths.
error-audio_settings_turn_refused = The TURN server { $url } refused a relay (error { $status }): check { $key } and the server's settings. Calls use the other paths.
error-audio_settings_turn_no_answer = The TURN server { $url } did not answer over { $transport } within { $seconds } s: check that the firewall lets it through. Calls use the other paths.
error-audio_settings_turn_unusable = The TURN server { $url } answered in a way this app cannot use. Calls use the other paths.
error-audio_settings_turn_unreachable = The TURN server { $url } could not be reached. Calls use the other paths.

## hotkeys
hotkeys-title = Hotkeys
hotkeys-about = They work while another program, such as your CRM, has the focus.
hotkeys-action_answer = Answer
hotkeys-action_hangup = Hang up
hotkeys-action_mute = Mute or unmute
hotkeys-action_focus_dial = Go to the number field
hotkeys-off = Off
hotkeys-change = Change
hotkeys-use_default = Use { $keys }
hotkeys-press_keys = Press the new keys (Esc cancels)
hotkeys-needs_modifier = Use Ctrl, Alt or Super with the key, so that typing in other programs still works.
hotkeys-problem_clash = { $keys } is already the hotkey for “{ $other }”. Choose another combination.
hotkeys-problem_invalid = { $keys } is not a key combination Lifeline can use.
hotkeys-problem_refused = The system did not allow { $keys }: another program may be using it. Choose another combination.
managed-hotkeys = Hotkeys
