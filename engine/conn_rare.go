package engine

// connRare is the part of a connection's state that few connections ever
// need: a fragmented message being reassembled, and the close that a
// handler deadline (SetDeadline) sends. Keeping it out of Conn makes every
// connection 64 bytes smaller: Conn is 184 bytes, in the 192-byte size
// class instead of 256 (TestConnSize pins it). It is allocated on first
// use and then kept, so a connection that fragments or sets deadlines
// often allocates it once. Loop only.
type connRare struct {
	fragOp    OpCode // opcode of the message being reassembled, 0 if none
	fragZ     bool   // that message is compressed (permessage-deflate, RSV1 on its first frame)
	fragValid int    // bytes of frag known to be valid UTF-8
	frag      []byte // reassembled fragments
	dlReason  string // close reason when a handler deadline passes
	dlCode    uint16 // close code when a handler deadline passes
}

// rareState returns c.rare, allocating it on first use. Loop only.
func (c *Conn) rareState() *connRare {
	if c.rare == nil {
		c.rare = new(connRare)
	}
	return c.rare
}

// fragOp is the opcode of the message being reassembled, 0 if none. Loop
// only.
func (c *Conn) fragOp() OpCode {
	if c.rare == nil {
		return 0
	}
	return c.rare.fragOp
}

// fragLen is how many bytes of a fragmented message have arrived. Loop
// only.
func (c *Conn) fragLen() int {
	if c.rare == nil {
		return 0
	}
	return len(c.rare.frag)
}

// dropFragments forgets the message being reassembled. Loop only.
func (c *Conn) dropFragments() {
	if c.rare != nil {
		c.rare.frag, c.rare.fragOp, c.rare.fragValid, c.rare.fragZ = nil, 0, 0, false
	}
}
