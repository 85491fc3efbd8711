// Writes public/icon-192.png and icon-512.png (the manifest's raster icons) without any image
// library: the same two rings as icon.svg, drawn per pixel into a zlib-compressed PNG.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// `scale` < 1 draws the rings smaller around the centre: the maskable icon keeps them inside the
// safe zone (a centred circle of 40 % radius) with room to spare, whatever mask a launcher applies.
function icon(size, scale = 1) {
  const s = (size / 512) * scale;
  const shift = (512 - 512 * scale) / 2;
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const px = (x + 0.5) / s - shift / scale, py = (y + 0.5) / s - shift / scale;
      const ring = (cx) => Math.abs(Math.hypot(px - cx, py - 256) - 92) < 20;
      const white = ring(196) || ring(316);
      const o = 1 + x * 4;
      row[o] = white ? 255 : 0x58; row[o + 1] = white ? 255 : 0x65; row[o + 2] = white ? 255 : 0xf2; row[o + 3] = 255;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const size of [192, 512]) writeFileSync(new URL(`./public/icon-${size}.png`, import.meta.url), icon(size));
writeFileSync(new URL('./public/icon-maskable-512.png', import.meta.url), icon(512, 0.7));
