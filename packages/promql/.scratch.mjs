import { parser } from '@prometheus-io/lezer-promql';
const qs = process.argv.slice(2);
for (const q of qs) {
  const tree = parser.parse(q);
  let out = '';
  const c = tree.cursor();
  let depth = 0;
  const walk = () => {
    out += '  '.repeat(depth) + c.name + ' [' + c.from + ',' + c.to + '] ' + JSON.stringify(q.slice(c.from, c.to)) + '\n';
    if (c.firstChild()) { depth++; do walk(); while (c.nextSibling()); c.parent(); depth--; }
  };
  walk();
  console.log(q + '\n' + out);
}
