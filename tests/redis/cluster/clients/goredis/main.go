// go-redis' ClusterClient runs a small workload on a cluster and prints what it saw as one JSON line.
// Usage: goredis-workload HOST:PORT (CLOUDTWIN_REDIS_PASSWORD: the cluster's password, if any).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(address string) error {
	ctx := context.Background()
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:    []string{address},
		Password: os.Getenv("CLOUDTWIN_REDIS_PASSWORD"),
	})
	defer client.Close()
	seen := map[string]any{}

	// Keys spread over every shard: each command goes to the node serving its key.
	for i := 0; i < 30; i++ {
		if err := client.Set(ctx, fmt.Sprintf("key:%d", i), fmt.Sprintf("value:%d", i), 0).Err(); err != nil {
			return err
		}
	}
	value, err := client.Get(ctx, "key:7").Result()
	if err != nil {
		return err
	}
	seen["get"] = value

	// go-redis splits a pipeline by node; these keys are on several shards.
	var gets []*redis.StringCmd
	if _, err := client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := 0; i < 5; i++ {
			gets = append(gets, pipe.Get(ctx, fmt.Sprintf("key:%d", i)))
		}
		return nil
	}); err != nil {
		return err
	}
	var piped []string
	for _, get := range gets {
		piped = append(piped, get.Val())
	}
	seen["pipeline"] = piped

	var incr *redis.IntCmd
	if _, err := client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, "{tx}a", "1", 0)
		incr = pipe.IncrBy(ctx, "{tx}a", 4)
		return nil
	}); err != nil {
		return err
	}
	seen["multi"] = incr.Val()

	lua, err := client.Eval(ctx, "return redis.call('incrby', KEYS[1], ARGV[1])", []string{"{lua}counter"}, 5).Result()
	if err != nil {
		return err
	}
	seen["lua"] = lua

	// SCAN runs per node: the keys of every primary together are the cluster's.
	var scanned atomic.Int64
	if err := client.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, "key:*", 100).Iterator()
		for iter.Next(ctx) {
			scanned.Add(1)
		}
		return iter.Err()
	}); err != nil {
		return err
	}
	seen["scan"] = scanned.Load()

	// Whichever node each connection picked, a PUBLISH reaches every node's subscribers.
	subscriber := client.Subscribe(ctx, "news")
	defer subscriber.Close()
	if _, err := subscriber.Receive(ctx); err != nil {
		return err
	}
	if err := client.Publish(ctx, "news", "hello").Err(); err != nil {
		return err
	}
	select {
	case message := <-subscriber.Channel():
		seen["pubsub"] = message.Channel + ":" + message.Payload
	case <-time.After(5 * time.Second):
		seen["pubsub"] = "timeout"
	}

	if err := client.Do(ctx, "MSET", "{a}1", "x", "{b}1", "y").Err(); err != nil {
		seen["crossslot"] = err.Error()
	} else {
		seen["crossslot"] = "no error"
	}

	out, err := json.Marshal(seen)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
