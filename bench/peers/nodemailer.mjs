// bench/peers/nodemailer.mjs: nodemailer's pooled SMTP transport as a peer of bench/driver.
// Sends N identical messages through ONE pooled transport (pool: true, maxConnections =
// --sessions, maxMessages large so no session is recycled), keeping --concurrency sendMail()
// calls in flight (default 2 × sessions: the pool's queue never runs dry), and prints one JSON
// line of figures in the driver's format.
//
//   node bench/peers/nodemailer.mjs --host 127.0.0.1 --port 2525 --message FILE --count 2000
//        [--sessions 1] [--concurrency C] [--seconds 5] [--from A] [--to B] [--attach FILE]
//
// --message F  the ready-made RFC 5322 message to send as `raw` (what the other clients send).
// --attach F   instead: one message built by nodemailer with F attached, streamed from disk.
//
// Output: {"messages", "seconds", "msgs_per_s", "cpu_user_s", "cpu_sys_s", "max_rss_kb",
//          "failures", "first_failure"}; exit 0 when every send was OK, 1 otherwise, 2 on usage.
import fs from 'node:fs';
import nodemailer from 'nodemailer';

function usage(why) {
    process.stderr.write(`nodemailer.mjs: ${why}\n`);
    process.exit(2);
}

const args = { host: '127.0.0.1', port: 25, message: '', count: 1000, sessions: 1, concurrency: 0,
               seconds: 5, from: 'bench@example.test', to: 'sink@example.test', attach: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || i + 1 >= argv.length) usage(`bad option ${argv[i]}`);
    args[key] = typeof args[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
    if (typeof args[key] === 'number' && !(args[key] >= 0)) usage(`bad value for ${argv[i]}`);
}
if (!args.message && !args.attach) usage('--message or --attach is required');
if (args.count < 1 || args.sessions < 1 || args.seconds <= 0) usage('count, sessions, seconds must be > 0');
const concurrency = args.concurrency || 2 * args.sessions;

const transport = nodemailer.createTransport({
    host: args.host, port: args.port, secure: false, ignoreTLS: true,
    pool: true, maxConnections: args.sessions, maxMessages: Number.MAX_SAFE_INTEGER,
    connectionTimeout: 30000, greetingTimeout: 30000, socketTimeout: 30000,
    logger: false, debug: false
});

const envelope = { from: args.from, to: [args.to] };
const raw = args.message ? fs.readFileSync(args.message) : null;
const mail = () => raw
    ? { envelope, raw }
    : { from: args.from, to: args.to, subject: 'bench attachment', text: 'Attached.\r\n',
        attachments: [{ filename: 'payload.bin', contentType: 'application/octet-stream',
                        path: args.attach }] };

let next = 0, sent = 0, failures = 0, firstFailure = '';
const start = process.hrtime.bigint();
const deadline = Date.now() + args.seconds * 1000;
async function worker() {
    while (Date.now() < deadline && next < args.count) {
        next++;
        try {
            await transport.sendMail(mail());
            sent++;
        } catch (e) {
            failures++;
            if (!firstFailure) firstFailure = String(e && e.message || e).slice(0, 400);
        }
    }
}
await Promise.all(Array.from({ length: Math.min(concurrency, args.count) }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
transport.close();

// Peak resident memory of this process: VmHWM (ru_maxrss would keep the high-water mark of
// whatever forked us, across exec).
let peakKb = process.resourceUsage().maxRSS;
const hwm = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
if (hwm) peakKb = Number(hwm[1]);
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({
    messages: sent, seconds, msgs_per_s: seconds > 0 ? sent / seconds : 0,
    cpu_user_s: cpu.user / 1e6, cpu_sys_s: cpu.system / 1e6, max_rss_kb: peakKb,
    failures, first_failure: firstFailure
}) + '\n');
process.exitCode = failures === 0 && sent > 0 ? 0 : 1;
