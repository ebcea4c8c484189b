/**
 * Deterministic payload corpora for the compression cases (12.x, 13.x). The suite ships five files (German prose,
 * a bitmap, a PDF, JSON and HTML); these are generated stand-ins of the same kinds and similar compressibility,
 * built from a seeded generator so every run sends the same bytes. Text corpora are ASCII, so any slice of them
 * is valid UTF-8.
 */

/** One corpus. */
export interface Corpus {
  readonly name: string;
  readonly description: string;
  /** Sent as binary messages (true) or text (false), as the suite sends the corresponding file. */
  readonly binary: boolean;
  readonly data: Uint8Array;
}

class Prng {
  constructor(private s: number) {}
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const WORDS_DE = ('der die das und ist nicht ich du er sie es wir ihr mit von zu auf den dem des ein eine einen Geist Welt ' +
  'Herz Himmel Erde Nacht Tag Licht Natur Mensch Faust Gretchen Mephistopheles Teufel Wissen Kunst Leben Zeit Liebe ' +
  'habe hat bin war wird werden kann muss soll will so wie wo wenn doch noch nur schon auch aber oder denn weil ' +
  'Studierzimmer Bibliothek Schüler Doktor Magister Glück Seele Kraft Wort Tat Sinn Anfang Ende wohl ach ja nein').split(' ');

const WORDS_EN = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et ' +
  'dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo').split(' ');

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

function prose(rng: Prng, size: number): Uint8Array {
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const words: string[] = [];
    const len = 4 + rng.int(12);
    for (let i = 0; i < len; i++) words.push(rng.pick(WORDS_DE).replace(/[^\x20-\x7e]/g, 'ue'));
    let line = words.join(' ');
    line = line[0]!.toUpperCase() + line.slice(1) + rng.pick(['.', ',', '!', '?', ';']) + (rng.int(4) === 0 ? '\r\n\r\n' : '\r\n');
    parts.push(line);
    n += line.length;
  }
  return ascii(parts.join('')).subarray(0, size);
}

function bitmap(rng: Prng, w: number, h: number): Uint8Array {
  const header = 1078; // BMP headers + 256-entry palette
  const out = new Uint8Array(header + w * h);
  out[0] = 0x42;
  out[1] = 0x4d;
  for (let i = 0; i < 256; i++) out.set([i, i, i, 0], 54 + 4 * i);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = 128 + 60 * Math.sin(x / 23) * Math.cos(y / 31) + 40 * Math.sin((x + y) / 57) + (rng.next() - 0.5) * 24;
      out[header + y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
}

function pdfLike(rng: Prng, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  let obj = 1;
  while (o < size) {
    const head = ascii(`${obj++} 0 obj\n<< /Length ${1000 + rng.int(3000)} /Filter /FlateDecode >>\nstream\n`);
    out.set(head.subarray(0, Math.min(head.length, size - o)), o);
    o += head.length;
    const streamLen = Math.min(size - o, 500 + rng.int(4000));
    for (let i = 0; i < streamLen; i++) out[o + i] = rng.int(256);
    o += Math.max(0, streamLen);
    const tail = ascii('\nendstream\nendobj\n');
    if (o < size) out.set(tail.subarray(0, Math.min(tail.length, size - o)), o);
    o += tail.length;
  }
  return out;
}

function json(rng: Prng, size: number): Uint8Array {
  const parts: string[] = ['['];
  let n = 1;
  let id = 0;
  while (n < size) {
    const rec = JSON.stringify({
      id: id++,
      guid: `${rng.int(1e8).toString(16)}-${rng.int(1e8).toString(16)}`,
      isActive: rng.int(2) === 0,
      balance: `$${(rng.next() * 4000).toFixed(2)}`,
      age: 20 + rng.int(50),
      name: `${rng.pick(WORDS_EN)} ${rng.pick(WORDS_EN)}`,
      tags: [rng.pick(WORDS_EN), rng.pick(WORDS_EN), rng.pick(WORDS_EN)],
      about: Array.from({ length: 8 + rng.int(16) }, () => rng.pick(WORDS_EN)).join(' '),
      latitude: rng.next() * 180 - 90,
      longitude: rng.next() * 360 - 180,
    }, null, 2) + ',\n';
    parts.push(rec);
    n += rec.length;
  }
  return ascii(parts.join('')).subarray(0, size);
}

function html(rng: Prng, size: number): Uint8Array {
  const parts: string[] = ['<!DOCTYPE html>\n<html>\n<head><title>data</title></head>\n<body>\n'];
  let n = parts[0]!.length;
  const tags = ['p', 'div', 'span', 'li', 'td', 'h2', 'a'];
  while (n < size) {
    const t = rng.pick(tags);
    const words = Array.from({ length: 3 + rng.int(20) }, () => rng.pick(WORDS_EN)).join(' ');
    const el = t === 'a'
      ? `<a href="/${rng.pick(WORDS_EN)}/${rng.int(1000)}.html" class="link">${words}</a>\n`
      : `<${t} class="${rng.pick(WORDS_EN)}" id="e${rng.int(100000)}">${words}</${t}>\n`;
    parts.push(el);
    n += el.length;
  }
  return ascii(parts.join('')).subarray(0, size);
}

let cache: Corpus[] | null = null;

/** The five corpora of 12.1–12.5, in that order (13.x uses the JSON one). Built once, on first use. */
export function corpora(): readonly Corpus[] {
  if (cache !== null) return cache;
  cache = [
    { name: 'gutenberg_faust', description: 'Human readable text, German prose', binary: true, data: prose(new Prng(1), 220_000) },
    { name: 'lena512', description: 'Bitmap 512x512 grayscale', binary: true, data: bitmap(new Prng(2), 512, 512) },
    { name: 'ooms', description: 'A larger PDF-like binary', binary: true, data: pdfLike(new Prng(3), 400_000) },
    { name: 'json_data1', description: 'Large JSON data file', binary: false, data: json(new Prng(4), 350_000) },
    { name: 'html_data1', description: 'Large HTML file', binary: false, data: html(new Prng(5), 350_000) },
  ];
  return cache;
}

/** The corpus named `name`. */
export function corpus(name: string): Corpus {
  const c = corpora().find((x) => x.name === name);
  if (c === undefined) throw new Error(`no corpus ${name}`);
  return c;
}
