package bench

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// closeWriteTimeout bounds the write of our close frame at the end of a run.
const closeWriteTimeout = time.Second

// maxKeptWriteBuf is the largest write buffer a connection keeps between
// writes; larger ones are dropped so idle connections stay small.
const maxKeptWriteBuf = 64 << 10

// conn is one client connection. Reading (fr) belongs to the connection's
// goroutine; write may be called from any goroutine.
type conn struct {
	id  int    // index among the run's connections
	uid string // user id: as the server named it in its first frame or LOGIN answer, else ours
	nc  net.Conn
	fr  frameReader

	wmu  sync.Mutex
	wbuf []byte // guarded by wmu

	deflate bool // permessage-deflate negotiated: data frames go compressed

	closing atomic.Bool // set when the run closes the connection on purpose
	pings   *atomic.Int64
	chat    *chatConn   // Chat's state; set before the body runs
	room    *roomMember // Room's state; set before the body runs

	// inboxEpoch and inboxOffset are the first frame's "inbox" (churn).
	inboxEpoch  string
	inboxOffset uint64
}

// newConn wraps an upgraded connection. br holds bytes the server sent right
// after its handshake answer (nil when none); they are read first.
func newConn(id int, uid string, nc net.Conn, br *bufio.Reader, readBuf, maxMsg int, pings *atomic.Int64) *conn {
	var src net.Conn = nc
	if br != nil {
		src = &prefixConn{Conn: nc, br: br}
	}
	return &conn{
		id:    id,
		uid:   uid,
		nc:    nc,
		fr:    frameReader{r: bufio.NewReaderSize(src, readBuf), max: maxMsg},
		pings: pings,
	}
}

// write sends one frame in one write. Safe for concurrent use.
func (c *conn) write(op ws.OpCode, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.deflate && !op.IsControl() {
		c.wbuf = appendDeflated(c.wbuf[:0], op, payload)
	} else {
		c.wbuf = appendFrame(c.wbuf[:0], op, payload)
	}
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > maxKeptWriteBuf {
		c.wbuf = nil
	}
	return err
}

// writeRaw sends already framed bytes in one write. Safe for concurrent use.
func (c *conn) writeRaw(frames []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(frames)
	return err
}

// readData returns the next data message, answering pings and skipping
// pongs on the way. A close frame is answered and returned as *CloseError.
// The payload is only valid until the next call. Owner goroutine only.
func (c *conn) readData() (ws.OpCode, []byte, error) {
	for {
		op, p, err := c.fr.nextMessage()
		if err != nil {
			return 0, nil, err
		}
		switch op {
		case ws.OpPing:
			if c.pings != nil {
				c.pings.Add(1)
			}
			if err := c.write(ws.OpPong, p); err != nil {
				return 0, nil, err
			}
		case ws.OpPong:
		case ws.OpClose:
			code := ws.StatusNoStatusRcvd
			if len(p) >= 2 {
				code = ws.StatusCode(uint16(p[0])<<8 | uint16(p[1]))
			}
			_ = c.write(ws.OpClose, p[:min(len(p), 2)])
			return 0, nil, &CloseError{Code: code}
		default:
			return op, p, nil
		}
	}
}

// shutdown sends a normal close frame and closes the socket; the owner
// goroutine's read then fails and, seeing closing, does not count a drop.
// Safe for concurrent use.
func (c *conn) shutdown() {
	if c.closing.Swap(true) {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(closeWriteTimeout))
	_ = c.write(ws.OpClose, []byte{byte(ws.StatusNormalClosure >> 8), byte(ws.StatusNormalClosure & 0xff)})
	_ = c.nc.Close()
}

// prefixConn reads what the handshake's bufio.Reader still holds before
// reading the socket, then returns that reader to gobwas/ws's pool.
type prefixConn struct {
	net.Conn
	br *bufio.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if p.br != nil {
		if p.br.Buffered() > 0 {
			return p.br.Read(b)
		}
		ws.PutReader(p.br)
		p.br = nil
	}
	return p.Conn.Read(b)
}
