#!/usr/bin/env bash
# Regenerates the transcoder's MP3 fixture (committed; never needed at runtime). Needs ffmpeg with libmp3lame.
# tone-44k.mp3: 3 s, 44.1 kHz stereo, 128 kbit/s CBR; a 440 Hz sine at amplitude 0.25 (-12 dBFS peak) on the
# left and a 660 Hz sine at amplitude 0.125 on the right, so levels and channels can be told apart after decoding.
set -euo pipefail
cd "$(dirname "$0")/../../fixtures/media"
ffmpeg -hide_banner -loglevel error -y -f lavfi \
  -i "aevalsrc=exprs='0.25*sin(2*PI*440*t)|0.125*sin(2*PI*660*t)':s=44100:d=3" \
  -c:a libmp3lame -b:a 128k tone-44k.mp3
# Its frames as ffprobe reads them, in the conformance media's shape (the Info frame is no packet).
ffprobe -v error -select_streams a:0 -show_packets -show_data_hash MD5 -of json tone-44k.mp3 |
  python3 -c '
import json, sys
packets = json.load(sys.stdin)["packets"]
print(json.dumps([{"pts": int(p["pts"]), "duration": int(p.get("duration", 0)), "size": int(p["size"]),
  "md5": p["data_hash"].split(":", 1)[1]} for p in packets]))' > tone-44k.mp3.packets.json
