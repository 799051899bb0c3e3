#!/bin/sh
# Regenerates the ring sounds from nothing but sox (Debian package `sox`): no third-party recordings.
# 16 kHz, mono, 16-bit PCM WAV; one cycle each, meant to be looped by the ringer.
set -eu
cd "$(dirname "$0")"
# Ordinary incoming call: a soft two-tone ring (440 + 480 Hz), 1.6 s on, 3.4 s off.
sox -n -r 16000 -c 1 -b 16 ring.wav synth 1.6 sine 440 sine 480 remix - fade q 0.05 1.6 0.15 gain -9 pad 0 3.4
# Emergency callback: a distinct, more urgent hi-lo tone (960 / 770 Hz, 0.25 s each) for 2 s, then 0.8 s off.
sox -n -r 16000 -c 1 -b 16 hi.wav synth 0.25 sine 960 fade q 0.01 0.25 0.01
sox -n -r 16000 -c 1 -b 16 lo.wav synth 0.25 sine 770 fade q 0.01 0.25 0.01
sox hi.wav lo.wav hi.wav lo.wav hi.wav lo.wav hi.wav lo.wav callback-ring.wav gain -6 pad 0 0.8
rm -f hi.wav lo.wav
