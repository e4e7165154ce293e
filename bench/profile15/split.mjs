import { join } from "node:path";
import { tmpdir } from "node:os";
import { compileRecordBuilder } from "../../dist/src/record/builder.js";
import { oxAttributes } from "../../dist/bench/lib/records.js";
import { openSync, writeSync, mkdtempSync, rmSync } from "node:fs";
const dir = mkdtempSync(join(tmpdir(), "slf4ts-p15-"));
const fd = openSync(join(dir, "a"), "a");
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let sec = NaN, txt = "";
const fmt = (ms) => { const s = Math.floor(ms / 1000); if (s !== sec) { sec = s; txt = new Date(s * 1000).toISOString().slice(0, 19) + "Z"; } return txt; };
const build = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true }, fmt, 1000);
const N = 300000;
function onlyBuild() { let t = process.hrtime.bigint(); let x = 0; for (let i = 0; i < N; i++) { x += build("ox.login", oxAttributes(i, new Date())).length; } return Number(process.hrtime.bigint() - t) / N; }
function buildWrite() { let t = process.hrtime.bigint(); for (let i = 0; i < N; i++) { writeSync(fd, build("ox.login", oxAttributes(i, new Date())) + "\n"); } return Number(process.hrtime.bigint() - t) / N; }
function buildFlatWrite() { let t = process.hrtime.bigint(); for (let i = 0; i < N; i++) { const l = build("ox.login", oxAttributes(i, new Date())) + "\n"; Buffer.byteLength(l); writeSync(fd, l); } return Number(process.hrtime.bigint() - t) / N; }
for (let r = 0; r < 3; r++) console.log("build", onlyBuild().toFixed(0), "build+write", buildWrite().toFixed(0), "build+byteLength+write", buildFlatWrite().toFixed(0));
const buf = Buffer.allocUnsafe(65536);
function viaBuf() { let t = process.hrtime.bigint(); for (let i = 0; i < N; i++) { const l = build("ox.login", oxAttributes(i, new Date())) + "\n"; const n = buf.utf8Write(l, 0); writeSync(fd, buf, 0, n); } return Number(process.hrtime.bigint() - t) / N; }
const limitLines = []; for (let i = 0; i < N; i++) limitLines.push(Buffer.from(build("ox.login", oxAttributes(i, new Date())) + "\n").toString("latin1"));
function limit() { let t = process.hrtime.bigint(); for (let i = 0; i < N; i++) writeSync(fd, limitLines[i]); return Number(process.hrtime.bigint() - t) / N; }
for (let r = 0; r < 3; r++) console.log("viaBuf", viaBuf().toFixed(0), "limit", limit().toFixed(0), "build+write", buildWrite().toFixed(0));
import { oxLine } from "../../dist/bench/lib/records.js";
function concatWrite() { let t = process.hrtime.bigint(); const d = new Date(); for (let i = 0; i < N; i++) writeSync(fd, oxLine(i, d) + "\n"); return Number(process.hrtime.bigint() - t) / N; }
function concatOnly() { let t = process.hrtime.bigint(); const d = new Date(); let x = 0; for (let i = 0; i < N; i++) x += (oxLine(i, d) + "\n").length; return Number(process.hrtime.bigint() - t) / N; }
function concatFlatOnly() { let t = process.hrtime.bigint(); const d = new Date(); let x = 0; for (let i = 0; i < N; i++) x += Buffer.byteLength(oxLine(i, d) + "\n"); return Number(process.hrtime.bigint() - t) / N; }
for (let r = 0; r < 3; r++) console.log("concat(cached date)+write", concatWrite().toFixed(0), "concat only", concatOnly().toFixed(0), "concat+byteLength", concatFlatOnly().toFixed(0), "limit", limit().toFixed(0), "slf4ts build+write", buildWrite().toFixed(0));
