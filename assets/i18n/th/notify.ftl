### Lifeline: การแจ้งเตือนเหตุฉุกเฉิน (อีเมลและเว็บฮุก) ถึงผู้ติดต่อตามนโยบาย ภาษาไทย
### แปลด้วยเครื่อง ยังไม่ได้ตรวจทานโดยเจ้าของภาษา

## ตรวจทานโดยเจ้าของภาษาแล้วหรือไม่ (yes/no)
-reviewed = no

## หัวเรื่องอีเมล
notify-subject-dialed = มีการโทรฉุกเฉินโดย { $agent }
notify-subject-connected = สายฉุกเฉินได้รับการรับสายแล้ว: { $agent }
notify-subject-ended = สายฉุกเฉินสิ้นสุดแล้ว: { $agent }
notify-subject-location_changed = สายฉุกเฉินของ { $agent }: ตำแหน่งเปลี่ยนไป ศูนย์รับแจ้งเหตุได้รับตำแหน่งใหม่แล้ว
notify-subject-self_test_passed = การทดสอบระบบฉุกเฉินผ่าน: { $agent }
notify-subject-self_test_failed = การทดสอบระบบฉุกเฉินล้มเหลว: { $agent } - การโทรฉุกเฉินอาจโทรไม่ติด
notify-subject-dropped = สายฉุกเฉินหลุด: { $agent } - ศูนย์รับแจ้งเหตุอาจโทรกลับ

## ข้อความแชต (Slack, Teams, เว็บฮุกทั่วไป)
notify-chat-dialed = :rotating_light: *มีการโทรฉุกเฉิน* โดย *{ $agent }*
notify-chat-connected = สายฉุกเฉินของ *{ $agent }* ได้รับการรับสายแล้ว
notify-chat-ended = สายฉุกเฉินของ *{ $agent }* สิ้นสุดแล้ว
notify-chat-location_changed = :round_pushpin: สายฉุกเฉินของ *{ $agent }*: ตำแหน่งเปลี่ยนไประหว่างการโทร ศูนย์รับแจ้งเหตุได้รับตำแหน่งใหม่แล้ว
notify-chat-self_test_passed = การทดสอบระบบฉุกเฉินของ *{ $agent }* ผ่าน
notify-chat-self_test_failed = :warning: การทดสอบระบบฉุกเฉินของ *{ $agent }* ล้มเหลว: การโทรฉุกเฉินอาจโทรไม่ติด
notify-chat-dropped = :warning: สายฉุกเฉินของ *{ $agent }* หลุด: ศูนย์รับแจ้งเหตุอาจโทรกลับ

## ตอนต้นของอีเมล
notify-intro-dialed =
    { $agent } กดหมายเลขฉุกเฉินเมื่อ { $time }
    กำลังโทรออกอยู่ในขณะนี้ หน่วยบริการฉุกเฉินอาจโทรกลับ
notify-intro-connected = ศูนย์รับแจ้งเหตุรับสายฉุกเฉินของ { $agent } เมื่อ { $time }
notify-intro-ended =
    สายฉุกเฉินของ { $agent } สิ้นสุดเมื่อ { $time }
    โปรดให้หมายเลขโทรกลับว่างไว้ ศูนย์รับแจ้งเหตุอาจโทรกลับ
notify-intro-location_changed =
    ตำแหน่งของ { $agent } เปลี่ยนไประหว่างการโทรฉุกเฉิน ตำแหน่งใหม่ด้านล่างถูกส่ง
    ให้ศูนย์รับแจ้งเหตุในสายเมื่อ { $time }
notify-intro-self_test_passed =
    การทดสอบระบบฉุกเฉินของ { $agent } ผ่านเมื่อ { $time } สายทดสอบถึงบริการทดสอบเหตุฉุกเฉิน
    ได้รับการรับสายและส่งตำแหน่งด้านล่างไปด้วย
notify-intro-self_test_failed =
    การทดสอบระบบฉุกเฉินของ { $agent } ล้มเหลวเมื่อ { $time }
    การโทรฉุกเฉินจริงจากสายนี้อาจไปไม่ถึงศูนย์รับแจ้งเหตุ หรือไปถึงโดยไม่มีที่อยู่
    โปรดตรวจสอบสาย เส้นทางการโทรฉุกเฉิน และตำแหน่ง
notify-intro-dropped =
    สายฉุกเฉินของ { $agent } หลุดเมื่อ { $time }
    ศูนย์รับแจ้งเหตุอาจโทรกลับ โปรดตรวจดูว่าเจ้าหน้าที่ปลอดภัยหรือไม่

## หัวข้อและชื่อช่อง
notify-reason = สาเหตุ
notify-heading-agent = เจ้าหน้าที่
notify-heading-call = การโทร
notify-heading-location = ตำแหน่งที่ส่งให้หน่วยบริการฉุกเฉิน
notify-heading-device = อุปกรณ์
notify-heading-time = เวลา
notify-field-user = ผู้ใช้
notify-field-name = ชื่อ
notify-field-line = หมายเลขภายใน/สาย
notify-field-caller_id = หมายเลขผู้โทรที่ส่ง
notify-field-callback = หมายเลขโทรกลับ
notify-field-call_reference = รหัสอ้างอิงการโทร
notify-field-location = ตำแหน่ง
notify-field-floor = ชั้น
notify-field-room = ห้อง
notify-field-source = แหล่งที่มา
notify-field-location_source = แหล่งที่มาของตำแหน่ง
notify-field-host = ชื่อโฮสต์
notify-field-ip = ที่อยู่ IP
notify-field-agent_time = เวลาของเจ้าหน้าที่
notify-field-utc = UTC
notify-no_location = ไม่มีการส่งตำแหน่งไปกับการโทรนี้
notify-none_sent = ไม่ได้ส่ง
notify-chat-floor = ชั้น { $floor }
notify-chat-room = ห้อง { $room }

## ที่มาของตำแหน่ง
notify-source-network_map = แผนผังเครือข่าย
notify-source-held = เซิร์ฟเวอร์ระบุตำแหน่ง (HELD, วิธี { $method })
notify-source-agent = เจ้าหน้าที่ป้อนเอง
notify-source-agent_unconfirmed = เจ้าหน้าที่ป้อนเอง ยังไม่ได้ยืนยันบนเครือข่ายที่อยู่ตอนนี้

## ท้ายข้อความ
notify-footer = ส่งโดย Lifeline รหัสข้อความ { $key }: การส่งซ้ำจะใช้รหัสเดิม
