### Lifeline: obvestila o klicih v sili (e-pošta in spletni kavlji) osebam iz pravilnika, slovenščina.
### Strojni prevod, ki ga naravni govorec ni pregledal.

## Pregledal naravni govorec (yes/no).
-reviewed = no

## Zadeva e-pošte
notify-subject-dialed = KLIC V SILI, ki ga je opravil { $agent }
notify-subject-connected = Klic v sili sprejet: { $agent }
notify-subject-ended = Klic v sili končan: { $agent }
notify-subject-location_changed = Klic v sili osebe { $agent }: LOKACIJA SE JE SPREMENILA, center za obveščanje ima novo
notify-subject-self_test_passed = Samopreizkus klica v sili uspešen: { $agent }
notify-subject-self_test_failed = Samopreizkus klica v sili NI USPEL: { $agent } - klici v sili morda ne bodo prišli skozi
notify-subject-dropped = Klic v sili PREKINJEN: { $agent } - center za obveščanje bo morda poklical nazaj

## Besedilo za klepet (Slack, Teams, splošni spletni kavelj)
notify-chat-dialed = :rotating_light: *KLIC V SILI*, ki ga je opravil *{ $agent }*
notify-chat-connected = Klic v sili osebe *{ $agent }* sprejet
notify-chat-ended = Klic v sili osebe *{ $agent }* končan
notify-chat-location_changed = :round_pushpin: Klic v sili osebe *{ $agent }*: lokacija se je med klicem SPREMENILA; center za obveščanje je prejel novo
notify-chat-self_test_passed = Samopreizkus klica v sili osebe *{ $agent }* uspešen
notify-chat-self_test_failed = :warning: Samopreizkus klica v sili osebe *{ $agent }* NI USPEL: klici v sili morda ne bodo prišli skozi
notify-chat-dropped = :warning: Klic v sili osebe *{ $agent }* PREKINJEN: center za obveščanje bo morda poklical nazaj

## Začetek e-pošte
notify-intro-dialed =
    { $agent } je { $time } poklical številko za klic v sili.
    Klic se zdaj vzpostavlja; reševalne službe bodo morda poklicale nazaj.
notify-intro-connected = Center za obveščanje je { $time } sprejel klic v sili osebe { $agent }.
notify-intro-ended =
    Klic v sili osebe { $agent } se je končal { $time }.
    Številka za povratni klic naj ostane prosta: center za obveščanje bo morda poklical nazaj.
notify-intro-location_changed =
    Lokacija osebe { $agent } se je med klicem v sili SPREMENILA; spodnja nova lokacija je bila
    { $time } med klicem poslana centru za obveščanje.
notify-intro-self_test_passed =
    Samopreizkus klica v sili osebe { $agent } je { $time } uspel: testni klic testni službi za klice v sili
    je bil sprejet in je vseboval spodnjo lokacijo.
notify-intro-self_test_failed =
    Samopreizkus klica v sili osebe { $agent } { $time } NI USPEL.
    Pravi klic v sili s te linije morda ne bo dosegel centra za obveščanje ali pa ga bo dosegel brez naslova.
    Preverite linijo, pot klicev v sili in lokacijo.
notify-intro-dropped =
    Klic v sili osebe { $agent } je bil { $time } PREKINJEN.
    Center za obveščanje bo morda poklical nazaj; preverite, kako je z zaposlenim.

## Naslovi in imena polj
notify-reason = Razlog
notify-heading-agent = Zaposleni
notify-heading-call = Klic
notify-heading-location = Lokacija, poslana reševalnim službam
notify-heading-device = Naprava
notify-heading-time = Čas
notify-field-user = Uporabnik
notify-field-name = Ime
notify-field-line = Interna številka/linija
notify-field-caller_id = Poslana številka klicatelja
notify-field-callback = Številka za povratni klic
notify-field-call_reference = Oznaka klica
notify-field-location = Lokacija
notify-field-floor = Nadstropje
notify-field-room = Prostor
notify-field-source = Vir
notify-field-location_source = Vir lokacije
notify-field-host = Ime gostitelja
notify-field-ip = Naslovi IP
notify-field-agent_time = Čas zaposlenega
notify-field-utc = UTC
notify-no_location = S tem klicem ni bila poslana nobena lokacija.
notify-none_sent = ni poslana
notify-chat-floor = nadstropje { $floor }
notify-chat-room = prostor { $room }

## Od kod je lokacija
notify-source-network_map = zemljevid omrežja
notify-source-held = strežnik za lokacijo (HELD, metoda { $method })
notify-source-agent = vnesel zaposleni
notify-source-agent_unconfirmed = vnesel zaposleni, ni potrjena v omrežju, v katerem je zdaj

## Noga
notify-footer = Poslal Lifeline. Ključ sporočila { $key }: ponovljena dostava ima isti ključ.
