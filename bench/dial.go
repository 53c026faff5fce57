package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// deflateOffer is the permessage-deflate offer of Config.Compression.
var deflateOffer = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}.Option()

// Wire constants of the gateway protocol (PROTOCOL.md).
const (
	cmdLogin   = 1001
	cmdSend    = 2001
	cmdMessage = 3001
	codeOK     = 200
)

// connector opens the connections of one run. Safe for concurrent use.
type connector struct {
	cfg     Config
	hello   bool          // wait for the first frame (and log in, in AuthLogin)
	dialers []*net.Dialer // one per source address
	tls     *tls.Config
	pings   *atomic.Int64
	tcp     *recorder // dial start → TCP established
	upgrade *recorder // dial start → 101 read
	auth    *recorder // dial start → first frame (or LOGIN answer) with code 200
}

func newConnector(cfg Config, hello bool, pings *atomic.Int64) *connector {
	k := &connector{
		cfg: cfg, hello: hello, pings: pings,
		tcp: newRecorder(), upgrade: newRecorder(), auth: newRecorder(),
	}
	if cfg.Insecure {
		k.tls = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by -insecure
	}
	for _, a := range cfg.Src {
		k.dialers = append(k.dialers, &net.Dialer{
			LocalAddr: &net.TCPAddr{IP: a.AsSlice()},
			Control:   setBindNoPort,
		})
	}
	if len(k.dialers) == 0 {
		k.dialers = []*net.Dialer{{}}
	}
	return k
}

// open connects connection i: TCP, upgrade, then (when k.hello) the first
// frame and, in AuthLogin, the LOGIN exchange. Latencies are recorded only
// for successful connects.
func (k *connector) open(i int) (*conn, error) { return k.openWith(i, "") }

// openWith is open with extra query parameters (a churn's resume).
func (k *connector) openWith(i int, query string) (*conn, error) {
	n := k.cfg.FirstUser + i
	d, target, err := k.prepare(i, n)
	if query != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + query
	}
	if err != nil {
		return nil, err
	}
	nd := k.dialers[(k.cfg.FirstConn+i)%len(k.dialers)]
	var tcpAt time.Time
	d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		tcpAt = time.Now()
		return c, err
	}
	start := time.Now()
	nc, br, hs, err := d.Dial(context.Background(), target)
	if err != nil {
		return nil, err
	}
	upAt := time.Now()
	c := newConn(i, userID(k.cfg.UserPrefix, n), nc, br, k.cfg.ReadBuffer, k.cfg.MaxMessage, k.pings)
	if k.cfg.Compression {
		if len(hs.Extensions) == 0 {
			_ = nc.Close()
			return nil, ErrNoCompression
		}
		c.deflate, c.fr.deflate = true, true
	}
	if k.hello {
		_ = nc.SetReadDeadline(start.Add(k.cfg.Timeout))
		if err := k.greet(c, n); err != nil {
			_ = nc.Close()
			return nil, err
		}
		_ = nc.SetReadDeadline(time.Time{})
		k.auth.record(i, time.Since(start))
	}
	k.tcp.record(i, tcpAt.Sub(start))
	k.upgrade.record(i, upAt.Sub(start))
	return c, nil
}

// prepare builds the dialer and URL of user n, minting its token.
func (k *connector) prepare(i, n int) (ws.Dialer, string, error) {
	d := ws.Dialer{Timeout: k.cfg.Timeout, TLSConfig: k.tls}
	if k.cfg.Compression {
		d.Extensions = []httphead.Option{deflateOffer}
	}
	var q []string
	if k.cfg.Auth == AuthQuery || k.cfg.Auth == AuthHeader || k.cfg.Auth == AuthSubprotocol {
		var rooms []string
		for j := range max(k.cfg.RoomsPerConn, 1) * min(k.cfg.Rooms, 1) {
			rooms = append(rooms, RoomName(k.cfg.FirstConn+i+j, k.cfg.Rooms))
		}
		tok, err := mintRoomToken(k.cfg.Secret, userID(k.cfg.UserPrefix, n), time.Now(), k.cfg.TokenTTL, rooms)
		if err != nil {
			return d, "", err
		}
		switch k.cfg.Auth {
		case AuthQuery:
			q = append(q, "token="+url.QueryEscape(tok))
		case AuthHeader:
			d.Header = ws.HandshakeHeaderString("Authorization: Bearer " + tok + "\r\n")
		case AuthSubprotocol:
			d.Protocols = []string{"bearer." + tok, "gateway.v1"}
		}
	}
	if k.cfg.DeviceID != "" {
		q = append(q, "device_id="+url.QueryEscape(k.cfg.DeviceID))
	}
	if k.cfg.Platform != "" {
		q = append(q, "platform="+url.QueryEscape(k.cfg.Platform))
	}
	target := k.cfg.Targets[(k.cfg.FirstConn+i)%len(k.cfg.Targets)]
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + strings.Join(q, "&")
	}
	return d, target, nil
}

// reply is the part of a server JSON message bench looks at during connect.
type reply struct {
	CmdID int  `json:"cmd_id"`
	Code  *int `json:"code"`
	Body  struct {
		UserID string `json:"user_id"`
		Inbox  struct {
			Epoch  string `json:"epoch"`
			Offset uint64 `json:"offset"`
		} `json:"inbox"`
	} `json:"body"`
}

// greet reads the first frame and, in AuthLogin, logs in as user n. It
// keeps the user id the server names.
func (k *connector) greet(c *conn, n int) error {
	r, err := readReply(c)
	if err != nil {
		return err
	}
	if *r.Code != codeOK {
		return &CodeError{Stage: "hello", Code: *r.Code}
	}
	if r.Body.UserID != "" {
		c.uid = r.Body.UserID
	}
	c.inboxEpoch, c.inboxOffset = r.Body.Inbox.Epoch, r.Body.Inbox.Offset
	if k.cfg.Auth != AuthLogin {
		return nil
	}
	if err := c.write(ws.OpText, loginFrame(loginName(k.cfg.LoginUser, k.cfg.UserPrefix, n), k.cfg.LoginPass)); err != nil {
		return err
	}
	for {
		r, err := readReply(c)
		if err != nil {
			return err
		}
		if r.CmdID != cmdLogin {
			continue
		}
		if *r.Code != codeOK {
			return &CodeError{Stage: "login", Code: *r.Code}
		}
		if r.Body.UserID != "" {
			c.uid = r.Body.UserID
		}
		return nil
	}
}

// readReply reads one text message as a reply; Code is never nil.
func readReply(c *conn) (*reply, error) {
	op, p, err := c.readData()
	if err != nil {
		return nil, err
	}
	var r reply
	if op != ws.OpText || json.Unmarshal(bytes.TrimSpace(p), &r) != nil || r.Code == nil {
		return nil, ErrBadHello
	}
	return &r, nil
}

// loginFrame is the LOGIN request (cmd 1001, seq 1).
func loginFrame(user, pass string) []byte {
	type body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	b, _ := json.Marshal(struct {
		CmdID int  `json:"cmd_id"`
		Seq   int  `json:"seq"`
		Body  body `json:"body"`
	}{CmdID: cmdLogin, Seq: 1, Body: body{Username: user, Password: pass}})
	return b
}
