//! Opus in-band FEC, end to end through our codec wrapper: a lost packet rebuilt from the next packet's
//! FEC data sounds closer to what was sent than the decoder's concealment alone.

use super::codec::{Codec, Decoder, Encoder, FRAME};
use super::test_signal::{encode_frames, loss_pattern, segmental_snr, voiced};

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
    encode_with(signal, loss_perc, true)
}

fn encode_with(signal: &[i16], loss_perc: u8, fec: bool) -> Vec<Vec<u8>> {
    let mut enc = Encoder::new(Codec::Opus, false).expect("encoder");
    enc.set_inband_fec(fec).expect("fec");
    enc.set_expected_loss(loss_perc).expect("loss");
    encode_frames(&mut enc, signal)
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

/// Whether a packet carries in-band FEC, by libopus' own test.
fn libopus_fec(p: &[u8]) -> bool {
    // SAFETY: libopus reads `len` bytes of the slice and nothing else.
    unsafe { opusic_sys::opus_packet_has_lbrr(p.as_ptr(), p.len() as i32) > 0 }
}

/// Packets carrying in-band FEC.
fn with_lbrr(packets: &[Vec<u8>]) -> usize {
    packets.iter().filter(|p| libopus_fec(p)).count()
}

fn encode_without_fec(signal: &[i16]) -> Vec<Vec<u8>> {
    encode_with(signal, 2, false)
}

/// A far end that does not ask for FEC (no `useinbandfec=1`: the lab's dispatcher) gets none. The
/// encoder starts telling itself of heavy loss (frames lean less on the ones before, so the far end's
/// concealment recovers sooner) and keeps that while loss is measured; on a clean path it is told little,
/// which costs clean speech nothing.
#[test]
fn without_fec_no_packet_carries_it_and_the_encoder_expects_heavy_loss_where_there_is_loss() {
    let signal = voiced(FRAME * 100);
    let fec = encode(&signal, 5);
    let plain = encode_without_fec(&signal);
    assert!(with_lbrr(&fec) > 50, "{} of 100 with FEC", with_lbrr(&fec));
    assert_eq!(with_lbrr(&plain), 0);
    let mut enc = Encoder::new(Codec::Opus, false).expect("encoder");
    enc.set_inband_fec(false).expect("no fec");
    assert_eq!(
        enc.expected_loss(),
        Some(super::codec::OPUS_MAX_LOSS_PERC),
        "before any measurement"
    );
    enc.set_expected_loss(1).expect("loss");
    assert_eq!(enc.expected_loss(), Some(5), "a clean path");
    enc.set_expected_loss(0).expect("loss");
    assert_eq!(enc.expected_loss(), Some(5), "no loss at all");
    enc.set_expected_loss(2).expect("loss");
    assert_eq!(enc.expected_loss(), Some(super::codec::OPUS_MAX_LOSS_PERC));
    enc.set_expected_loss(9).expect("loss");
    assert_eq!(enc.expected_loss(), Some(super::codec::OPUS_MAX_LOSS_PERC));
}

#[test]
fn a_far_end_that_only_conceals_hears_more_of_the_stream_without_fec() {
    let signal = voiced(FRAME * 250);
    let none = vec![false; 250];
    let (mut snr_fec, mut snr_plain) = (0.0, 0.0);
    for seed in [7u64, 11, 13] {
        let lost = loss_pattern(250, 5, seed);
        let fec = encode(&signal, 5);
        let plain = encode_without_fec(&signal);
        snr_fec += segmental_snr(
            &decode_with_loss(&fec, &none, false),
            &decode_with_loss(&fec, &lost, false),
        );
        snr_plain += segmental_snr(
            &decode_with_loss(&plain, &none, false),
            &decode_with_loss(&plain, &lost, false),
        );
    }
    println!(
        "5% loss, concealed only: segmental SNR with FEC written {:.1} dB, without {:.1} dB",
        snr_fec / 3.0,
        snr_plain / 3.0
    );
    assert!(
        snr_plain > snr_fec,
        "without {snr_plain:.1} vs with {snr_fec:.1}"
    );
}

/// RFC 7587 section 6.1: the far end's `a=fmtp` decides FEC and caps the bitrate, whatever loss adds.
#[test]
fn the_far_ends_fmtp_sets_fec_and_caps_the_bitrate() {
    use super::pipeline::send_encoder;
    use super::sdp::audio_formats;
    // The lab's dispatcher (baresip behind rtpengine): no FEC, at most 32 kbit/s.
    let baresip = "m=audio 1 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n\
                   a=fmtp:111 stereo=1;sprop-stereo=0;maxaveragebitrate=32000\r\n";
    let mut enc = send_encoder(Codec::Opus, 111, &audio_formats(baresip), false).expect("encoder");
    assert_eq!(enc.bitrate(), Some(32_000));
    enc.set_expected_loss(20).expect("loss");
    assert_eq!(
        enc.bitrate(),
        Some(32_000),
        "loss never lifts it above the cap"
    );
    // Chromium: FEC read, no cap: our own rate, more with loss.
    let chrome = "m=audio 1 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n\
                  a=fmtp:111 minptime=10;useinbandfec=1\r\n";
    let mut enc = send_encoder(Codec::Opus, 111, &audio_formats(chrome), false).expect("encoder");
    let clean = enc.bitrate().expect("opus");
    assert!(clean > 32_000, "{clean}");
    enc.set_expected_loss(20).expect("loss");
    assert!(enc.bitrate().expect("opus") > clean);
    // A cap above what we would use changes nothing.
    let generous = "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n\
                    a=fmtp:96 maxaveragebitrate=128000;useinbandfec=1\r\n";
    let mut enc = send_encoder(Codec::Opus, 96, &audio_formats(generous), false).expect("encoder");
    assert_eq!(enc.bitrate(), Some(clean));
    // G.711 has no bitrate to set.
    let mut pcmu = send_encoder(Codec::Pcmu, 0, &audio_formats(baresip), false).expect("encoder");
    assert_eq!(pcmu.bitrate(), None);
}

/// The playout's own reading of a packet's FEC bit (`opus_packet`) agrees with libopus' on every packet
/// the encoder writes, with FEC and without.
#[test]
fn the_fec_bit_is_read_as_libopus_reads_it() {
    let signal = voiced(FRAME * 100);
    for packets in [
        encode(&signal, 5),
        encode(&signal, 20),
        encode_without_fec(&signal),
    ] {
        for p in &packets {
            assert_eq!(
                super::opus_packet::carries_fec(p),
                libopus_fec(p),
                "{p:02x?}"
            );
        }
    }
}
