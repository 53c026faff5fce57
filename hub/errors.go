package hub

import "errors"

// ErrShards is returned by [New] when Config.Shards is negative, not a power
// of two, or larger than [MaxShards].
var ErrShards = errors.New("hub: shards must be a power of two no larger than MaxShards")
