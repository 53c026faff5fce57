package protocol

// Ref identifies the request a response answers: the cmd_id and seq that are
// echoed, each only when the request had it. The zero Ref echoes neither (the
// shape of the first frame and of HTTP API replies). Ref is a small value
// that owns no memory, so it may be kept after the request's buffer is
// reused and handed to other goroutines.
type Ref struct {
	CmdID    int
	Seq      int64
	HasCmdID bool
	HasSeq   bool
}

// Push returns the Ref of a push with the given command id: cmd_id, no seq.
func Push(cmdID int) Ref {
	return Ref{CmdID: cmdID, HasCmdID: true}
}

// Envelope is a decoded client request (PROTOCOL.md §3):
//
//	{"cmd_id":1001,"seq":7,"from_uid":"user123","device_id":"web001","platform":"web","body":{…}}
//
// The strings and Body alias the buffer given to [DecodeEnvelope] and are
// only valid until that buffer is reused; [Envelope.Clone] makes a copy that
// is not.
type Envelope struct {
	// Ref holds cmd_id and seq and whether each was present (and valid);
	// pass it to the encoders to echo them.
	Ref
	// FromUID, DeviceID and Platform are advisory; "" when absent or null.
	FromUID  string
	DeviceID string
	Platform string
	// Body is the raw JSON object under "body", or nil when absent or null.
	Body []byte
}

var envelopeKeys = []string{"cmd_id", "seq", "from_uid", "device_id", "platform", "body"}

// DecodeEnvelope decodes one client request into env, overwriting all of
// env. On success cmd_id is present. The fast path (no escapes in the
// strings) does not allocate.
//
// The error is always a *Error with code 400. On error env.Ref still holds
// cmd_id and seq when the JSON itself was well-formed and they were valid, so
// that the error response can echo them; the other fields are then unset.
func DecodeEnvelope(data []byte, env *Envelope) error {
	*env = Envelope{}
	sc := getScratch()
	defer putScratch(sc)
	w := &sc.env
	if err := sc.decodeObject(data, w, errNotObject); err != nil {
		return err
	}
	if err := checkUnique(envelopeKeys, &w.CmdID, &w.Seq, &w.FromUID, &w.DeviceID, &w.Platform, &w.Body); err != nil {
		return err
	}
	cmdErr := env.decodeCmdID(&w.CmdID)
	seqErr := env.decodeSeq(&w.Seq)
	if cmdErr != nil {
		return cmdErr
	}
	if seqErr != nil {
		return seqErr
	}
	if err := env.decodeRest(sc, w); err != nil {
		*env = Envelope{Ref: env.Ref}
		return err
	}
	return nil
}

func (env *Envelope) decodeCmdID(r *rawValue) error {
	v, ok, err := integer(r, "cmd_id", 32)
	if err != nil {
		return err
	}
	if !ok {
		return errCmdIDMissing
	}
	env.CmdID, env.HasCmdID = int(v), true
	return nil
}

func (env *Envelope) decodeSeq(r *rawValue) error {
	v, ok, err := integer(r, "seq", 64)
	if err != nil {
		return err
	}
	env.Seq, env.HasSeq = v, ok
	return nil
}

func (env *Envelope) decodeRest(sc *scratch, w *wireEnvelope) error {
	var err error
	if env.FromUID, err = sc.str(&w.FromUID, "from_uid", MaxIDLen, false); err != nil {
		return err
	}
	if env.DeviceID, err = sc.str(&w.DeviceID, "device_id", MaxIDLen, false); err != nil {
		return err
	}
	if env.Platform, err = sc.str(&w.Platform, "platform", MaxIDLen, false); err != nil {
		return err
	}
	env.Body, err = object(&w.Body)
	return err
}

// Clone returns a deep copy of env that does not alias the decoded input. It
// costs one allocation (none when there is nothing to copy).
func (env *Envelope) Clone() Envelope {
	c := *env
	n := len(env.FromUID) + len(env.DeviceID) + len(env.Platform) + len(env.Body)
	if n == 0 {
		return c
	}
	a := newArena(n)
	c.FromUID = a.str(env.FromUID)
	c.DeviceID = a.str(env.DeviceID)
	c.Platform = a.str(env.Platform)
	c.Body = a.bytes(env.Body)
	return c
}
