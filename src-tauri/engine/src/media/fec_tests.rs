//! Opus in-band FEC, end to end through our codec wrapper: a lost packet rebuilt from the next packet's
//! FEC data sounds closer to what was sent than the decoder's concealment alone.

use super::codec::{Codec, Decoder, Encoder, FRAME};
use super::test_signal::{loss_pattern, segmental_snr, voiced};

/// Decode `packets`, treating `lost` ones as missing; with `fec`, a missing packet whose successor
/// arrived is rebuilt from it (as the pipeline does), otherwise concealed.
fn decode_with_loss(packets: &[Vec<u8>], lost: &[bool], fec: bool) -> Vec<i16> {
    let mut dec = Decoder::new(Codec::Opus).expect("decoder");
    let mut out = Vec::new();
    let mut pcm = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if !lost[i] {
            dec.decode(p, &mut pcm).expect("decode");
        } else if fec && i + 1 < packets.len() && !lost[i + 1] {
            dec.recover(&packets[i + 1], &mut pcm).expect("recover");
        } else {
            dec.conceal(&mut pcm).expect("conceal");
        }
        assert_eq!(pcm.len(), FRAME);
        out.extend_from_slice(&pcm);
    }
    out
}

fn encode(signal: &[i16], loss_perc: u8) -> Vec<Vec<u8>> {
    let mut enc = Encoder::new(Codec::Opus, false).expect("encoder");
    enc.set_expected_loss(loss_perc).expect("loss");
    signal
        .chunks_exact(FRAME)
        .map(|f| {
            let mut p = Vec::new();
            enc.encode(f, &mut p).expect("encode");
            p
        })
        .collect()
}

#[test]
fn the_encoder_is_always_told_some_loss_so_it_writes_fec() {
    let mut enc = Encoder::new(Codec::Opus, false).expect("encoder");
    assert_eq!(enc.expected_loss(), Some(super::codec::OPUS_MIN_LOSS_PERC));
    enc.set_expected_loss(0).expect("loss");
    assert_eq!(enc.expected_loss(), Some(super::codec::OPUS_MIN_LOSS_PERC));
    enc.set_expected_loss(80).expect("loss");
    assert_eq!(enc.expected_loss(), Some(super::codec::OPUS_MAX_LOSS_PERC));
    let mut g711 = Encoder::new(Codec::Pcmu, false).expect("encoder");
    assert!(g711.set_expected_loss(10).is_ok());
    assert_eq!(g711.expected_loss(), None);
}

#[test]
fn lost_packets_rebuilt_from_fec_sound_closer_to_the_original_than_concealment() {
    let signal = voiced(FRAME * 250); // 5 s
    for (percent, seed) in [(5u32, 7u64), (10, 11), (20, 13)] {
        let packets = encode(&signal, percent as u8);
        let none = vec![false; packets.len()];
        let lost = loss_pattern(packets.len(), percent, seed);
        // The reference is the lossless decode: codec delay and coding noise cancel out.
        let clean = decode_with_loss(&packets, &none, false);
        let plc = decode_with_loss(&packets, &lost, false);
        let fec = decode_with_loss(&packets, &lost, true);
        let (snr_plc, snr_fec) = (segmental_snr(&clean, &plc), segmental_snr(&clean, &fec));
        println!(
            "{percent}% loss ({} of {} lost): segmental SNR vs lossless, concealment {snr_plc:.1} dB, FEC {snr_fec:.1} dB",
            lost.iter().filter(|l| **l).count(),
            packets.len()
        );
        assert!(
            snr_fec > snr_plc + 2.0,
            "{percent}%: FEC {snr_fec:.1} dB vs concealment {snr_plc:.1} dB"
        );
    }
}
