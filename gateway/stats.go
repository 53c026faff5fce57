package gateway

import (
	"sync/atomic"

	"github.com/imgate/gateway/protocol"
)

// The gateway's counters live in stripes: a connection adds to the stripe
// of its event loop, so that loops do not contend for one cache line on
// every message. Readers (metrics, /api/stats) sum the stripes.

// counter names one of the gateway's counters.
type counter int

// Commands, as counter offsets and metric labels (cmdLabels).
const (
	cmdLogin = iota
	cmdLogout
	cmdHeartbeat
	cmdRefresh
	cmdSend
	cmdMessage
	cmdKicked
	cmdTokenExpired
	cmdReconnect
	cmdOther // unknown, malformed, binary
	numCmds
)

var cmdLabels = [numCmds]string{"1001", "1002", "1003", "1004", "2001", "3001", "3003", "3004", "3005", "other"}

// cmdIndex maps a cmd_id to its counter offset.
func cmdIndex(id int) int {
	switch id {
	case protocol.CmdLogin:
		return cmdLogin
	case protocol.CmdLogout:
		return cmdLogout
	case protocol.CmdHeartbeat:
		return cmdHeartbeat
	case protocol.CmdRefresh:
		return cmdRefresh
	case protocol.CmdSend:
		return cmdSend
	case protocol.CmdMessage:
		return cmdMessage
	case protocol.CmdKicked:
		return cmdKicked
	case protocol.CmdTokenExpired:
		return cmdTokenExpired
	case protocol.CmdReconnect:
		return cmdReconnect
	}
	return cmdOther
}

// Authentication failures, as counter offsets and labels (authLabels).
const (
	authInvalidToken = iota
	authExpiredToken
	authWrongDevice
	authBadCredentials
	authInvalidRefresh
	authExpiredRefresh
	authLoginBusy
	numAuthReasons
)

var authLabels = [numAuthReasons]string{"invalid_token", "expired_token", "wrong_device",
	"bad_credentials", "invalid_refresh", "expired_refresh", "login_busy"}

// Counters.
const (
	cIn          counter = 0                          // + cmd: requests by cmd_id
	cOut         counter = cIn + numCmds              // + cmd: responses and direct pushes by cmd_id
	cAuthFail    counter = cOut + numCmds             // + reason
	cLogins      counter = cAuthFail + numAuthReasons // successful logins (WebSocket and HTTP)
	cRefreshes   counter = cLogins + 1                // successful refreshes
	cRateLimited counter = cLogins + 2                // messages answered 429
	cRateClosed  counter = cLogins + 3                // connections closed 4029
	numCounters  counter = cLogins + 4
)

const numStripes = 8 // a power of two

type stripe struct {
	v [numCounters]atomic.Int64
	_ [64]byte
}

// counters is the gateway's striped counters. Any goroutine.
type counters struct {
	s [numStripes]stripe
}

// add adds n to counter k in the stripe of loop (any int; HTTP handlers
// use 0).
func (cs *counters) add(loop int, k counter, n int64) {
	cs.s[loop&(numStripes-1)].v[k].Add(n)
}

// get sums counter k over the stripes.
func (cs *counters) get(k counter) int64 {
	var n int64
	for i := range cs.s {
		n += cs.s[i].v[k].Load()
	}
	return n
}
