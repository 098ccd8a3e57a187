// A consumer alone in its process: applies what is pending and prints its peak RSS.
import { runConsumer } from '../lib/replica/consumer.ts';

const [providerUrl, subscriberUrl] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
let events = 0;
let batches = 0;
for (;;) {
  const r = await runConsumer({ queue: 'replika', consumer: 'dst', providerUrl, subscriberUrl, deadline: Date.now() + 600_000 });
  events += r.events;
  batches += r.batches;
  if (r.batches === 0 && !r.moreWork) break;
}
console.log(JSON.stringify({ events, batches, seconds: (performance.now() - t0) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
