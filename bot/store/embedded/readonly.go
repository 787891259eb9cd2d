package embedded

// readOnlyCommands are the commands that never change data. Anything not listed,
// including commands this list does not know, counts as a write: a needless snapshot
// costs little, a missed one loses data.
var readOnlyCommands = map[string]bool{
	// connection and server
	"auth": true, "hello": true, "ping": true, "echo": true, "select": true,
	"client": true, "info": true, "time": true, "command": true, "dbsize": true,
	"quit": true, "readonly": true,
	// transactions: EXEC is the write, if any; MULTI, WATCH and friends are not
	"multi": true, "discard": true, "watch": true, "unwatch": true,
	// keys
	"exists": true, "type": true, "ttl": true, "pttl": true, "expiretime": true,
	"pexpiretime": true, "keys": true, "scan": true, "randomkey": true, "dump": true,
	"object": true, "touch": true,
	// strings
	"get": true, "mget": true, "strlen": true, "getrange": true, "substr": true,
	// hashes
	"hget": true, "hmget": true, "hgetall": true, "hkeys": true, "hvals": true,
	"hlen": true, "hexists": true, "hstrlen": true, "hscan": true, "hrandfield": true,
	"httl": true, "hpttl": true,
	// lists
	"lrange": true, "llen": true, "lindex": true, "lpos": true,
	// sets
	"smembers": true, "sismember": true, "smismember": true, "scard": true,
	"srandmember": true, "sinter": true, "sunion": true, "sdiff": true,
	"sintercard": true, "sscan": true,
	// sorted sets
	"zrange": true, "zrangebyscore": true, "zrevrangebyscore": true,
	"zrangebylex": true, "zrevrangebylex": true, "zrevrange": true, "zscore": true,
	"zmscore": true, "zcard": true, "zcount": true, "zlexcount": true, "zrank": true,
	"zrevrank": true, "zrandmember": true, "zscan": true,
	// streams (reads without a consumer group)
	"xrange": true, "xrevrange": true, "xlen": true, "xinfo": true,
	// scripts that may only read
	"eval_ro": true, "evalsha_ro": true, "script": true,
	// pub/sub carries no stored data
	"publish": true, "pubsub": true,
}

// readOnly reports whether the command (lower-case name) never changes data.
func readOnly(name string) bool { return readOnlyCommands[name] }
