/**
 * `npm run bench:faults`: customers place orders through the gateway while the bar is frozen (SIGSTOP, as a
 * starved or paused process would be) and then killed (SIGKILL), staying down, and afterwards each customer's orders are
 * compared with what they were told. Prints how many were told their order had failed while it was placed
 * (the target is 0) and how many were told placed but have no order (must be 0).
 *
 * Every subgraph runs as its own process (as deployed) unless --processes names fewer; the gateway runs in this one.
 *
 *   npm run bench:faults -- [--customers 40] [--duration 20] [--freeze 6] [--engine pglite|postgres] [--pause-orders 3.5]
 *     [--processes bar,orders]
 */
import type { SubgraphName } from '@brigade/platform';
import { runFaultLoad, startStack, type Stack } from '@brigade/testing';
import { parseArgs } from 'node:util';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '40' },
      duration: { type: 'string', default: '20' },
      freeze: { type: 'string', default: '6' },
      engine: { type: 'string', default: 'pglite' },
      'pause-orders': { type: 'string', default: '0' },
      processes: { type: 'string', default: 'auth,menu,orders,kitchen,bar,bakery' },
    },
  });
  const postgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (values.engine === 'postgres' && !postgresUrl) throw new Error('--engine postgres needs TEST_DATABASE_URL or DATABASE_URL');
  const durationMs = Number(values.duration) * 1000;
  const freezeMs = Number(values.freeze) * 1000;
  const pauseOrdersMs = Number(values['pause-orders']) * 1000;
  const stack = await startStack({
    databaseUrl: values.engine === 'postgres' ? postgresUrl : null,
    processes: [...new Set([...values.processes.split(','), 'bar', ...(pauseOrdersMs > 0 ? ['orders'] : [])])] as SubgraphName[],
  });
  try {
    const result = await runFaultLoad(stack, {
      customers: Number(values.customers),
      durationMs,
      faultAfterMs: durationMs / 4,
      settleMs: 6_000,
      fault: async (s: Stack) => {
        if (pauseOrdersMs > 0) {
          // A pause of orders alone (a long GC, a starved CPU): requests queue up unread meanwhile.
          s.services.orders.signal('SIGSTOP');
          await new Promise((resolve) => setTimeout(resolve, pauseOrdersMs));
          s.services.orders.signal('SIGCONT');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
        s.services.bar.signal('SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, freezeMs));
        s.services.bar.signal('SIGKILL');
      },
    });
    console.log(
      `${values.engine}, ${values.customers} customers for ${values.duration} s; at ${durationMs / 4000} s` +
        (pauseOrdersMs > 0 ? ` orders paused ${values['pause-orders']} s, then` : '') +
        ` the bar frozen ${values.freeze} s, then killed`,
    );
    console.log(JSON.stringify(result, null, 2));
    if (result.toldFailedButPlaced > 0 || result.toldPlacedButMissing > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
