//! What an Opus packet says about itself without being decoded (RFC 6716, 3.1 and 3.2): whether it carries
//! in-band FEC for the frame before it. The playout keeps one more frame of depth after a loss only when
//! the far end writes FEC, since only then is the packet after a lost one worth waiting for.

/// Whether `packet` carries SILK's LBRR data (Opus in-band FEC) in its first frame: the bit that follows
/// the voice-activity flags at the start of the SILK layer (as libopus' `opus_packet_has_lbrr` reads it).
/// A CELT-only packet, an empty frame or a malformed packet carries none.
pub fn carries_fec(packet: &[u8]) -> bool {
    let Some(&toc) = packet.first() else {
        return false;
    };
    let config = toc >> 3;
    if config >= 16 {
        return false; // CELT only
    }
    // Duration of one Opus frame in 48 kHz samples (configs 0-11 SILK, 12-15 hybrid).
    let frame_samples: u32 = if config < 12 {
        [480, 960, 1920, 2880][usize::from(config & 3)]
    } else {
        [480, 960][usize::from(config & 1)]
    };
    let silk_frames = if frame_samples > 960 {
        frame_samples / 960
    } else {
        1
    };
    let Some(first) = first_frame(packet) else {
        return false;
    };
    let Some(&byte) = first.first() else {
        return false;
    };
    let mono = (byte >> (7 - silk_frames)) & 1 == 1;
    let stereo = toc & 0x4 != 0 && (byte >> (6 - 2 * silk_frames)) & 1 == 1;
    mono || stereo
}

/// The first frame's bytes (frame packing codes 0 to 3), or None for a malformed packet.
fn first_frame(packet: &[u8]) -> Option<&[u8]> {
    let rest = packet.get(1..)?;
    match packet[0] & 3 {
        0 => Some(rest),
        1 => (rest.len() % 2 == 0).then(|| &rest[..rest.len() / 2]),
        2 => {
            let (len, used) = frame_length(rest)?;
            rest.get(used..used + len)
        }
        _ => {
            let (&count, mut rest) = rest.split_first()?;
            let frames = usize::from(count & 0x3f);
            if frames == 0 {
                return None;
            }
            let mut padding = 0usize;
            if count & 0x40 != 0 {
                loop {
                    let (&p, tail) = rest.split_first()?;
                    rest = tail;
                    padding += if p == 255 { 254 } else { usize::from(p) };
                    if p != 255 {
                        break;
                    }
                }
            }
            if count & 0x80 != 0 {
                // VBR: the lengths of all frames but the last come first.
                let (first_len, used) = frame_length(rest)?;
                let mut at = used;
                for _ in 1..frames.saturating_sub(1) {
                    at += frame_length(rest.get(at..)?)?.1;
                }
                let data = rest.get(at..rest.len().checked_sub(padding)?)?;
                data.get(..first_len)
            } else {
                let data = rest.get(..rest.len().checked_sub(padding)?)?;
                (data.len() % frames == 0).then(|| &data[..data.len() / frames])
            }
        }
    }
}

/// A frame length (one byte below 252, else two) and the bytes it took.
fn frame_length(bytes: &[u8]) -> Option<(usize, usize)> {
    let &b0 = bytes.first()?;
    if b0 < 252 {
        Some((usize::from(b0), 1))
    } else {
        let &b1 = bytes.get(1)?;
        Some((usize::from(b0) + 4 * usize::from(b1), 2))
    }
}

#[cfg(test)]
mod tests {
    use super::carries_fec;

    #[test]
    fn celt_only_empty_and_malformed_packets_carry_no_fec() {
        assert!(!carries_fec(&[]));
        assert!(!carries_fec(&[0x80 | 0x08, 0xff])); // CELT-only config 17
        assert!(!carries_fec(&[0x08])); // SILK 20 ms, no frame data (DTX)
        assert!(!carries_fec(&[0x09, 0x40])); // code 1 with an odd payload
        assert!(!carries_fec(&[0x0a, 0xfc])); // code 2, length cut off
        assert!(!carries_fec(&[0x0b, 0x00, 0xff])); // code 3, no frames
    }

    #[test]
    fn the_lbrr_bit_is_read_after_the_vad_flags_in_every_packing() {
        // SILK wideband 20 ms (config 9): one SILK frame, so VAD is bit 7 and LBRR bit 6.
        let toc = 9 << 3;
        assert!(carries_fec(&[toc, 0b0100_0000, 1, 2]));
        assert!(!carries_fec(&[toc, 0b1000_0000, 1, 2]));
        // Code 1: two frames of equal length, the first one's first byte.
        assert!(carries_fec(&[toc | 1, 0b0100_0000, 0, 0, 0]));
        // Code 2: first frame length 1, then its byte.
        assert!(carries_fec(&[toc | 2, 1, 0b0100_0000, 0, 0]));
        // Code 3, VBR and padding: count 2 with V and P, 1 byte of padding, first length 2.
        assert!(carries_fec(&[toc | 3, 0xc2, 1, 2, 0b0100_0000, 0, 0, 0]));
        // SILK 40 ms (config 10): two SILK frames, two VAD flags, LBRR is bit 5.
        assert!(carries_fec(&[(10 << 3), 0b0010_0000]));
        assert!(!carries_fec(&[(10 << 3), 0b0100_0000]));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = carries_fec(&bytes);
        }
    }
}
