### Lifeline: notis kecemasan (e-mel dan webhook) kepada orang yang dinamakan dalam dasar, bahasa Melayu.
### Terjemahan mesin, belum disemak oleh penutur asli.

## Disemak oleh penutur asli (yes/no).
-reviewed = no

## Subjek e-mel
notify-subject-dialed = PANGGILAN KECEMASAN dibuat oleh { $agent }
notify-subject-connected = Panggilan kecemasan dijawab: { $agent }
notify-subject-ended = Panggilan kecemasan tamat: { $agent }
notify-subject-location_changed = Panggilan kecemasan { $agent }: LOKASI BERUBAH, pusat kawalan mempunyai lokasi baharu
notify-subject-self_test_passed = Ujian kendiri kecemasan lulus: { $agent }
notify-subject-self_test_failed = Ujian kendiri kecemasan GAGAL: { $agent } - panggilan kecemasan mungkin tidak sampai
notify-subject-dropped = Panggilan kecemasan TERPUTUS: { $agent } - pusat kawalan mungkin menelefon semula

## Teks sembang (Slack, Teams, webhook generik)
notify-chat-dialed = :rotating_light: *PANGGILAN KECEMASAN* dibuat oleh *{ $agent }*
notify-chat-connected = Panggilan kecemasan *{ $agent }* dijawab
notify-chat-ended = Panggilan kecemasan *{ $agent }* tamat
notify-chat-location_changed = :round_pushpin: Panggilan kecemasan *{ $agent }*: lokasi BERUBAH semasa panggilan; pusat kawalan telah menerima lokasi baharu
notify-chat-self_test_passed = Ujian kendiri kecemasan *{ $agent }* lulus
notify-chat-self_test_failed = :warning: Ujian kendiri kecemasan *{ $agent }* GAGAL: panggilan kecemasan mungkin tidak sampai
notify-chat-dropped = :warning: Panggilan kecemasan *{ $agent }* TERPUTUS: pusat kawalan mungkin menelefon semula

## Permulaan e-mel
notify-intro-dialed =
    { $agent } mendail nombor kecemasan pada { $time }.
    Panggilan sedang dibuat sekarang; perkhidmatan kecemasan mungkin menelefon semula.
notify-intro-connected = Panggilan kecemasan { $agent } dijawab oleh pusat kawalan pada { $time }.
notify-intro-ended =
    Panggilan kecemasan { $agent } tamat pada { $time }.
    Pastikan nombor panggilan balik kosong: pusat kawalan mungkin menelefon semula.
notify-intro-location_changed =
    Lokasi { $agent } BERUBAH semasa panggilan kecemasan; lokasi baharu di bawah telah dihantar
    kepada pusat kawalan dalam panggilan pada { $time }.
notify-intro-self_test_passed =
    Ujian kendiri kecemasan { $agent } lulus pada { $time }: panggilan ujian kepada perkhidmatan ujian
    kecemasan dijawab dan membawa lokasi di bawah.
notify-intro-self_test_failed =
    Ujian kendiri kecemasan { $agent } GAGAL pada { $time }.
    Panggilan kecemasan sebenar dari talian ini mungkin tidak sampai ke pusat kawalan, atau sampai tanpa alamat.
    Semak talian, laluan kecemasan dan lokasi.
notify-intro-dropped =
    Panggilan kecemasan { $agent } TERPUTUS pada { $time }.
    Pusat kawalan mungkin menelefon semula; pastikan ejen itu selamat.

## Tajuk dan nama medan
notify-reason = Sebab
notify-heading-agent = Ejen
notify-heading-call = Panggilan
notify-heading-location = Lokasi yang dihantar kepada perkhidmatan kecemasan
notify-heading-device = Peranti
notify-heading-time = Masa
notify-field-user = Pengguna
notify-field-name = Nama
notify-field-line = Sambungan/talian
notify-field-caller_id = ID pemanggil yang dihantar
notify-field-callback = Nombor panggilan balik
notify-field-call_reference = Rujukan panggilan
notify-field-location = Lokasi
notify-field-floor = Tingkat
notify-field-room = Bilik
notify-field-source = Sumber
notify-field-location_source = Sumber lokasi
notify-field-host = Nama hos
notify-field-ip = Alamat IP
notify-field-agent_time = Masa ejen
notify-field-utc = UTC
notify-no_location = Tiada lokasi dihantar bersama panggilan ini.
notify-none_sent = tiada dihantar
notify-chat-floor = tingkat { $floor }
notify-chat-room = bilik { $room }

## Dari mana lokasi datang
notify-source-network_map = peta rangkaian
notify-source-held = pelayan lokasi (HELD, kaedah { $method })
notify-source-agent = dimasukkan oleh ejen
notify-source-agent_unconfirmed = dimasukkan oleh ejen, belum disahkan pada rangkaian yang digunakannya sekarang

## Pengaki
notify-footer = Dihantar oleh Lifeline. Kunci mesej { $key }: penghantaran berulang membawa kunci yang sama.
