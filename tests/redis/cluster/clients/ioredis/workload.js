// ioredis' Cluster client runs a small workload on a cluster and prints what it saw as one JSON line.
// Usage: node workload.js HOST PORT (CLOUDTWIN_REDIS_PASSWORD: the cluster's password, if any).
const { Cluster } = require("ioredis");

async function main() {
  const [host, port] = process.argv.slice(2);
  const options = { redisOptions: { password: process.env.CLOUDTWIN_REDIS_PASSWORD || undefined } };
  const cluster = new Cluster([{ host, port: Number(port) }], options);
  const subscriber = new Cluster([{ host, port: Number(port) }], options);
  const seen = {};

  // Keys spread over every shard: each command goes to the node serving its key.
  for (let i = 0; i < 30; i++) await cluster.set(`key:${i}`, `value:${i}`);
  seen.get = await cluster.get("key:7");

  // A pipeline's keys share a hash tag, so ioredis sends it to one node.
  const piped = await cluster.pipeline().set("{pipe}a", "1").incr("{pipe}a").get("{pipe}a").exec();
  seen.pipeline = piped.map(([error, reply]) => (error ? String(error) : reply));

  const multi = await cluster.multi().set("{tx}a", "1").incrby("{tx}a", 4).get("{tx}a").exec();
  seen.multi = multi.map(([error, reply]) => (error ? String(error) : reply));

  seen.lua = await cluster.eval("return redis.call('incrby', KEYS[1], ARGV[1])", 1, "{lua}counter", 5);

  // SCAN runs per node: the keys of every primary together are the cluster's.
  let scanned = 0;
  for (const node of cluster.nodes("master")) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", "key:*", "COUNT", 100);
      scanned += keys.length;
      cursor = next;
    } while (cursor !== "0");
  }
  seen.scan = scanned;

  // Whichever node each client picked, a PUBLISH reaches every node's subscribers.
  const message = new Promise((resolve) => subscriber.on("message", (channel, text) => resolve(`${channel}:${text}`)));
  await subscriber.subscribe("news");
  await cluster.publish("news", "hello");
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), 5000)));
  seen.pubsub = await Promise.race([message, timeout]);
  clearTimeout(timer);

  try {
    await cluster.call("MSET", "{a}1", "x", "{b}1", "y");
    seen.crossslot = "no error";
  } catch (error) {
    seen.crossslot = String(error.message);
  }

  console.log(JSON.stringify(seen));
  cluster.disconnect();
  subscriber.disconnect();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
