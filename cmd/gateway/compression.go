package main

import "flag"

// compressionOptions are the permessage-deflate flags (see README,
// "Compression", for the defaults).
type compressionOptions struct {
	on      bool
	minSize int
}

func (c *compressionOptions) bind(fs *flag.FlagSet) {
	fs.BoolVar(&c.on, "compression", true, "negotiate permessage-deflate (RFC 7692, no context takeover: no memory per connection) with clients that offer it")
	fs.IntVar(&c.minSize, "compression-min-size", 128, "smallest server message payload in bytes sent compressed; smaller ones go plain")
}
