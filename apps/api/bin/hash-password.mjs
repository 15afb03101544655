#!/usr/bin/env node
// `npm run hash-password`: makes a password hash for AUTH_USERS (scrypt, random salt). The password is
// read from the terminal without echo (asked twice), or from the first line of standard input when
// piped; never from the command line, where it would land in shell history and the process list.
//
//   npm run -s hash-password                      # prompts; prints the hash
//   npm run -s hash-password -- --user alice --role admin   # prints alice:admin:<hash>
//   docker compose run --rm --no-deps api node apps/api/bin/hash-password.mjs
//
// Options: --user NAME, --role admin|viewer (default admin), --cost LOG2N (default 15).
// The format, `scrypt.N.r.p.salt.hash` in base64url, is the one apps/api/src/auth.ts verifies.
import { randomBytes, scrypt } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    role: { type: 'string', default: 'admin' },
    cost: { type: 'string', default: '15' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: hash-password [--user NAME] [--role admin|viewer] [--cost LOG2N]\n');
  process.exit(0);
}
const log2n = Number(values.cost);
if (!Number.isInteger(log2n) || log2n < 14 || log2n > 20) fail('--cost must be an integer from 14 to 20');
if (values.role !== 'admin' && values.role !== 'viewer') fail('--role must be admin or viewer');
if (values.user !== undefined && !/^[^:,\s]+$/.test(values.user)) fail('--user must not contain ":", "," or spaces');

function fail(msg) {
  process.stderr.write(`hash-password: ${msg}\n`);
  process.exit(2);
}

/** Reads one line from the terminal with echo off. */
function promptHidden(question) {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let line = '';
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(line);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          process.stderr.write('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPiped() {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.split(/\r?\n/)[0] ?? '';
}

let password;
if (process.stdin.isTTY) {
  password = await promptHidden('Password: ');
  const again = await promptHidden('Again: ');
  if (password !== again) fail('the two passwords differ');
} else {
  password = await readPiped();
}
if (password.length < 8) fail('use a password of at least 8 characters');

const N = 2 ** log2n;
const r = 8;
const p = 1;
const salt = randomBytes(16);
const key = await new Promise((resolve, reject) =>
  scrypt(password, salt, 32, { N, r, p, maxmem: 128 * N * r * 2 }, (err, k) => (err ? reject(err) : resolve(k))),
);
const hash = ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('.');
process.stdout.write(values.user ? `${values.user}:${values.role}:${hash}\n` : `${hash}\n`);
if (!values.user) process.stderr.write(`Put it in AUTH_USERS, e.g. AUTH_USERS=alice:admin:${hash}\n`);
