//! TURN messages on a byte stream (RFC 8656 §12, RFC 6062 framing rules), sans-IO.
//!
//! Over UDP every datagram is one message. Over TCP and TLS the messages follow each other on one stream and
//! the receiver finds their ends from their headers:
//! - STUN: a 20-byte header whose first two bits are 0, with the magic cookie 0x2112A442 at bytes 4..8 and
//!   the body length (a multiple of 4) at bytes 2..4. The message is `20 + length` bytes.
//! - ChannelData: channel number 0x4000-0x7FFF in bytes 0..2, data length in bytes 2..4; on a stream the
//!   data is padded with zeros to a multiple of 4, and the padding is not counted in the length.
//!
//! [`Deframer`] turns stream bytes into whole messages (ChannelData without its padding, as a UDP server
//! would send it). It accepts ChannelData only on channels the client asked for ([`requested_channel`] of
//! its ChannelBind requests, given to [`Deframer::allow_channel`]): the channel range alone would let an HTTP
//! reply ("HT" = 0x4854) pass as ChannelData and the tunnel wait for 21 KB that never come. [`frame_datagram`] turns one datagram from the local TURN client into stream bytes
//! (ChannelData padded). Anything else on a stream is a [`FramingError`]: the stream cannot be resynchronised
//! and its connection must be closed.
//!
//! Properties (checked by the tests): however a valid stream is split into reads, the same messages come
//! out in the same order; `frame_datagram` followed by the `Deframer` gives back the datagram (less any
//! padding the client added); a stream error is sticky.

const STUN_HEADER: usize = 20;
const CHANNEL_HEADER: usize = 4;
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const CHANNEL_MIN: u16 = 0x4000;
const CHANNEL_MAX: u16 = 0x7FFF;

/// Why bytes are not a TURN message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    #[error("bytes that are neither STUN nor ChannelData (first byte 0x{0:02x})")]
    NotTurn(u8),
    #[error("a STUN header without the magic cookie")]
    NoMagicCookie,
    #[error("a STUN length of {0}, which is not a multiple of 4")]
    StunLength(u16),
    #[error("a message of {declared} bytes in a datagram of {actual} bytes")]
    Truncated { declared: usize, actual: usize },
}

/// What kind of message starts here, and its length without and with stream padding (`None`: header
/// incomplete). ChannelData must be on a channel `allowed`.
fn message_len(
    bytes: &[u8],
    allowed: impl Fn(u16) -> bool,
) -> Result<Option<(usize, usize)>, FramingError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    match first >> 6 {
        0b00 => {
            if bytes.len() < 8 {
                // Not enough to see the cookie yet; the length alone is not trusted without it.
                return Ok(None);
            }
            if bytes[4..8] != MAGIC_COOKIE {
                return Err(FramingError::NoMagicCookie);
            }
            let len = u16::from_be_bytes([bytes[2], bytes[3]]);
            if len % 4 != 0 {
                return Err(FramingError::StunLength(len));
            }
            let total = STUN_HEADER + usize::from(len);
            Ok(Some((total, total)))
        }
        0b01 => {
            if bytes.len() < CHANNEL_HEADER {
                return Ok(None);
            }
            let channel = u16::from_be_bytes([bytes[0], bytes[1]]);
            if !(CHANNEL_MIN..=CHANNEL_MAX).contains(&channel) || !allowed(channel) {
                return Err(FramingError::NotTurn(first));
            }
            let total = CHANNEL_HEADER + usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            Ok(Some((total, total.next_multiple_of(4))))
        }
        _ => Err(FramingError::NotTurn(first)),
    }
}

/// Stream bytes in, whole messages out. One per connection; after an error it only repeats that error.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out.
    pos: usize,
    failed: Option<FramingError>,
    /// Channels the client has asked to bind.
    channels: Vec<u16>,
}

impl Deframer {
    pub fn new() -> Deframer {
        Deframer::default()
    }

    /// Accepts ChannelData on `channel` from now on (the client sent a ChannelBind for it).
    pub fn allow_channel(&mut self, channel: u16) {
        if !self.channels.contains(&channel) {
            self.channels.push(channel);
        }
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message (ChannelData without padding), `Ok(None)` until more bytes arrive.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = &self.buf[self.pos..];
        match message_len(rest, |ch| self.channels.contains(&ch)) {
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
            Ok(Some((len, on_stream))) if rest.len() >= on_stream => {
                let message = rest[..len].to_vec();
                self.pos += on_stream;
                Ok(Some(message))
            }
            Ok(_) => Ok(None),
        }
    }

    /// Bytes received but not yet part of a whole message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }
}

/// Appends one datagram from the local TURN client to `out` as stream bytes: STUN as is, ChannelData cut to
/// its declared length and padded to a multiple of 4. A datagram that is not one whole TURN message is
/// refused (and should be dropped, as a UDP server would).
pub fn frame_datagram(datagram: &[u8], out: &mut Vec<u8>) -> Result<(), FramingError> {
    let is_stun = datagram.first().is_some_and(|b| b >> 6 == 0);
    let header = if is_stun { STUN_HEADER } else { CHANNEL_HEADER };
    let (len, on_stream) = message_len(datagram, |_| true)?.ok_or(FramingError::Truncated {
        declared: header,
        actual: datagram.len(),
    })?;
    if datagram.len() < len || (is_stun && datagram.len() != len) {
        return Err(FramingError::Truncated {
            declared: len,
            actual: datagram.len(),
        });
    }
    out.extend_from_slice(&datagram[..len]);
    out.resize(out.len() + (on_stream - len), 0);
    Ok(())
}

/// A Refresh request with LIFETIME 0: the client releases its allocation (RFC 8656 §7.3), after which the
/// server may close a TCP/TLS connection, and that close is expected rather than a failure.
pub fn is_allocation_release(message: &[u8]) -> bool {
    stun_attribute(message, [0x00, 0x04], [0x00, 0x0D]) == Some(&[0, 0, 0, 0])
}

/// The channel number of a ChannelBind request (RFC 8656 §11): the server will send ChannelData on it.
pub fn requested_channel(message: &[u8]) -> Option<u16> {
    match stun_attribute(message, [0x00, 0x09], [0x00, 0x0C])? {
        [hi, lo, _, _] => Some(u16::from_be_bytes([*hi, *lo])),
        _ => None,
    }
}

/// The value of the first attribute `attr` of a STUN message of type `message_type`.
fn stun_attribute(message: &[u8], message_type: [u8; 2], attr: [u8; 2]) -> Option<&[u8]> {
    if message.len() < STUN_HEADER || message[..2] != message_type || message[4..8] != MAGIC_COOKIE
    {
        return None;
    }
    let mut attrs = &message[STUN_HEADER..];
    while attrs.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
        let value = attrs.get(4..4 + len)?;
        if attrs[..2] == attr {
            return Some(value);
        }
        attrs = attrs.get(4 + len.next_multiple_of(4)..).unwrap_or_default();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stun(body_words: usize, fill: u8) -> Vec<u8> {
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&((body_words * 4) as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[fill; 12]);
        m.extend(std::iter::repeat_n(fill, body_words * 4));
        m
    }

    fn channel_data(channel: u16, data: &[u8]) -> Vec<u8> {
        let mut m = channel.to_be_bytes().to_vec();
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend_from_slice(data);
        m
    }

    fn stream_of(messages: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in messages {
            frame_datagram(m, &mut out).expect("valid message");
        }
        out
    }

    /// A deframer that has seen the ChannelBind requests for the channels in `messages`.
    fn deframer_for(messages: &[Vec<u8>]) -> Deframer {
        let mut d = Deframer::new();
        for m in messages.iter().filter(|m| m[0] >> 6 == 1) {
            d.allow_channel(u16::from_be_bytes([m[0], m[1]]));
        }
        d
    }

    fn drain(d: &mut Deframer) -> Result<Vec<Vec<u8>>, FramingError> {
        let mut out = Vec::new();
        while let Some(m) = d.next_message()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn channel_data_is_padded_on_the_stream_and_unpadded_coming_back() {
        let m = channel_data(0x4001, b"hello");
        let mut out = Vec::new();
        frame_datagram(&m, &mut out).unwrap();
        assert_eq!(out.len(), 12);
        assert_eq!(&out[9..], &[0, 0, 0]);
        let mut d = deframer_for(std::slice::from_ref(&m));
        d.push(&out);
        assert_eq!(drain(&mut d).unwrap(), vec![m]);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn channel_data_the_client_already_padded_is_not_padded_twice() {
        let mut padded = channel_data(0x4000, b"abc");
        padded.push(0);
        let mut out = Vec::new();
        frame_datagram(&padded, &mut out).unwrap();
        assert_eq!(out, padded);
    }

    #[test]
    fn several_messages_in_one_read_and_one_message_over_many_reads() {
        let messages = vec![
            stun(2, 7),
            channel_data(0x7FFF, &[1, 2, 3, 4, 5, 6]),
            stun(0, 1),
            channel_data(0x4000, &[]),
        ];
        let bytes = stream_of(&messages);
        let mut d = deframer_for(&messages);
        d.push(&bytes);
        assert_eq!(drain(&mut d).unwrap(), messages);

        let mut d = deframer_for(&messages);
        let mut got = Vec::new();
        for b in &bytes {
            d.push(std::slice::from_ref(b));
            got.extend(drain(&mut d).unwrap());
        }
        assert_eq!(got, messages);
    }

    #[test]
    fn garbage_is_an_error_that_sticks() {
        let mut d = Deframer::new();
        d.allow_channel(0x4001);
        d.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert_eq!(d.next_message(), Err(FramingError::NotTurn(b'H')));
        d.push(&stun(0, 0));
        assert_eq!(d.next_message(), Err(FramingError::NotTurn(b'H')));
    }

    #[test]
    fn a_stun_header_needs_its_cookie_and_a_length_in_words() {
        let mut no_cookie = stun(1, 0);
        no_cookie[4] = 0;
        let mut d = Deframer::new();
        d.push(&no_cookie);
        assert_eq!(d.next_message(), Err(FramingError::NoMagicCookie));

        let mut odd = stun(1, 0);
        odd[3] = 5;
        let mut d = Deframer::new();
        d.push(&odd);
        assert_eq!(d.next_message(), Err(FramingError::StunLength(5)));
    }

    #[test]
    fn channel_data_on_a_channel_the_client_never_bound_is_garbage() {
        let m = channel_data(0x4854, b"TP/1.1"); // what an HTTP reply looks like
        let mut d = Deframer::new();
        d.allow_channel(0x4000);
        d.push(&stream_of(std::slice::from_ref(&m)));
        assert_eq!(d.next_message(), Err(FramingError::NotTurn(0x48)));
    }

    #[test]
    fn a_channel_bind_request_names_its_channel() {
        let mut bind = refresh(&[
            (0x0012, &[0, 1, 127, 0, 0, 1, 0, 0]),
            (0x000C, &[0x40, 0x07, 0, 0]),
        ]);
        bind[1] = 0x09;
        assert_eq!(requested_channel(&bind), Some(0x4007));
        assert_eq!(
            requested_channel(&refresh(&[(0x000C, &[0x40, 0x07, 0, 0])])),
            None
        );
        bind[0] = 0x01; // 0x0109: the success response, not a request
        assert_eq!(requested_channel(&bind), None);
    }

    #[test]
    fn reserved_channel_numbers_are_not_channel_data() {
        let mut d = Deframer::new();
        d.push(&[0x80, 0x00, 0x00, 0x00]); // RTP/DTLS range, never TURN
        assert_eq!(d.next_message(), Err(FramingError::NotTurn(0x80)));
    }

    #[test]
    fn datagrams_that_are_not_whole_turn_messages_are_refused() {
        let mut out = Vec::new();
        assert_eq!(
            frame_datagram(&[0x40, 0x00, 0x00, 0x08, 1, 2], &mut out),
            Err(FramingError::Truncated {
                declared: 12,
                actual: 6
            })
        );
        let mut long_stun = stun(1, 0);
        long_stun.push(0);
        assert!(matches!(
            frame_datagram(&long_stun, &mut out),
            Err(FramingError::Truncated { .. })
        ));
        assert!(matches!(
            frame_datagram(&[0x00, 0x01], &mut out),
            Err(FramingError::Truncated { .. })
        ));
        assert!(matches!(
            frame_datagram(&[0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0], &mut out),
            Err(FramingError::NoMagicCookie)
        ));
        assert!(frame_datagram(&[], &mut out).is_err());
        assert!(out.is_empty());
    }

    fn refresh(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (t, v) in attrs {
            body.extend_from_slice(&t.to_be_bytes());
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        let mut m = vec![0x00, 0x04];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[9; 12]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn a_refresh_with_lifetime_zero_is_a_release() {
        assert!(is_allocation_release(&refresh(&[
            (0x0006, b"user1"),
            (0x000D, &[0, 0, 0, 0])
        ])));
        assert!(!is_allocation_release(&refresh(&[
            (0x0006, b"user1"),
            (0x000D, &[0, 0, 2, 0x58])
        ])));
        assert!(!is_allocation_release(&refresh(&[(0x0006, b"user1")])));
        let mut allocate = refresh(&[(0x000D, &[0, 0, 0, 0])]);
        allocate[1] = 0x03;
        assert!(!is_allocation_release(&allocate));
        assert!(!is_allocation_release(
            &refresh(&[(0x0006, b"user1")])[..22]
        ));
    }

    fn any_message() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            (0usize..40, any::<u8>()).prop_map(|(words, fill)| stun(words, fill)),
            (
                CHANNEL_MIN..=CHANNEL_MAX,
                proptest::collection::vec(any::<u8>(), 0..200)
            )
                .prop_map(|(ch, data)| channel_data(ch, &data)),
        ]
    }

    proptest! {
        #[test]
        fn any_split_of_a_valid_stream_gives_the_same_messages(
            messages in proptest::collection::vec(any_message(), 0..20),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..30),
        ) {
            let bytes = stream_of(&messages);
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            cuts.push(0);
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut d = deframer_for(&messages);
            let mut got = Vec::new();
            for pair in cuts.windows(2) {
                d.push(&bytes[pair[0]..pair[1]]);
                got.extend(drain(&mut d).map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
            prop_assert_eq!(got, messages);
            prop_assert_eq!(d.buffered(), 0);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_never_yield_more_than_they_hold(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut d = Deframer::new();
            d.allow_channel(0x4000);
            d.push(&bytes);
            let mut total = 0;
            while let Ok(Some(m)) = d.next_message() {
                total += m.len();
            }
            prop_assert!(total <= bytes.len());
        }
    }
}
