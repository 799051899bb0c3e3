//! G.711 µ-law (PCMU) and A-law (PCMA) sample conversion (ITU-T G.711), 8 kHz, one byte per sample.
//!
//! A few lines of well-known bit twiddling; no crate needed. Emergency calls always offer these
//! (RFC 6881 ED-72).

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encode one linear 16-bit sample to µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    if s > CLIP {
        s = CLIP;
    }
    s += BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && (s & mask) == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) | mantissa) as u8
}

/// Decode one µ-law byte to a linear 16-bit sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let sign = u & 0x80;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    if sign != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encode one linear 16-bit sample to A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample) >> 3; // A-law works on 13-bit magnitudes
    let sign = if s >= 0 {
        0xD5
    } else {
        s = -s - 1;
        0x55
    };
    let code = if s < 32 {
        (s >> 1) as u8
    } else {
        let mut exponent = 1u8;
        let mut v = s >> 5;
        while v > 1 && exponent < 7 {
            v >>= 1;
            exponent += 1;
        }
        if s >= 4096 {
            0x7F
        } else {
            (exponent << 4) | (((s >> exponent) & 0x0F) as u8)
        }
    };
    code ^ sign
}

/// Decode one A-law byte to a linear 16-bit sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = i32::from((a >> 4) & 0x07);
    let mantissa = i32::from(a & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    if a & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Which G.711 law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

pub fn encode(law: Law, pcm: &[i16], out: &mut Vec<u8>) {
    out.clear();
    match law {
        Law::Mu => out.extend(pcm.iter().map(|&s| linear_to_ulaw(s))),
        Law::A => out.extend(pcm.iter().map(|&s| linear_to_alaw(s))),
    }
}

pub fn decode(law: Law, bytes: &[u8], out: &mut Vec<i16>) {
    out.clear();
    match law {
        Law::Mu => out.extend(bytes.iter().map(|&b| ulaw_to_linear(b))),
        Law::A => out.extend(bytes.iter().map(|&b| alaw_to_linear(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// G.711 keeps about 12-13 bits of precision: the error grows with the magnitude.
    fn tolerance(s: i16) -> i32 {
        i32::from(s).abs() / 16 + 32
    }

    #[test]
    fn ulaw_round_trip_stays_within_quantisation_error() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let back = ulaw_to_linear(linear_to_ulaw(s));
            assert!(
                (i32::from(back) - i32::from(s)).abs() <= tolerance(s),
                "{s} -> {back}"
            );
        }
    }

    #[test]
    fn alaw_round_trip_stays_within_quantisation_error() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let back = alaw_to_linear(linear_to_alaw(s));
            assert!(
                (i32::from(back) - i32::from(s)).abs() <= tolerance(s),
                "{s} -> {back}"
            );
        }
    }

    #[test]
    fn every_code_decodes_and_re_encodes_to_itself() {
        for b in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(b)), b, "A-law {b:#x}");
            let u = ulaw_to_linear(b);
            // 0x7F and 0xFF are +0 and -0 in µ-law: both decode to 0.
            if b != 0x7F {
                assert_eq!(linear_to_ulaw(u), b, "µ-law {b:#x}");
            }
        }
    }

    #[test]
    fn silence_and_known_codes() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
    }

    proptest! {
        #[test]
        fn round_trip_preserves_sign_of_loud_samples(s in any::<i16>()) {
            prop_assume!(i32::from(s).abs() > 64);
            let u = ulaw_to_linear(linear_to_ulaw(s));
            let a = alaw_to_linear(linear_to_alaw(s));
            prop_assert_eq!(u.signum(), s.signum());
            prop_assert_eq!(a.signum(), s.signum());
        }
    }
}
