// The inbox cursor (PROTOCOL.md §8): which epoch the client is in, the
// last offset the app has been handed, and the offsets of this client's
// recent SENDs (their client_msg_id). Pure bookkeeping, no I/O: the
// client asks it what to do with each 3001 and when to SYNC.
//
// The rule that keeps delivery gap-free and exactly once: an entry is
// handed to the app only when its prev_offset is the cursor; the cursor
// then moves to its offset. Anything else is either old (offset at or
// below the cursor: a duplicate, dropped) or ahead of a gap (dropped, and
// a SYNC from the cursor fetches it again in order). The client's own
// SENDs are in its inbox too (the sender's copy) but were never pushed to
// it: when the chain reaches one of them (known by the client_msg_id the
// client gave it) it is skipped, not delivered: the app has it already.

/** What to do with one 3001 body. */
export const Verdict = Object.freeze({
  DELIVER: 'deliver', // hand it to the app
  SKIP: 'skip', // already handled (a duplicate, or this client's own SEND)
  GAP: 'gap', // something before it is missing: SYNC
});

const MAX_OWN = 500; // client_msg_ids of own SENDs remembered (and stored)

export class InboxCursor {
  /** @param {'latest'|'oldest'} from where a client with no cursor starts */
  constructor(from = 'latest') {
    this.from = from;
    this.epoch = null;
    this.offset = 0;
    this.own = new Set(); // client_msg_ids of this client's SENDs, oldest first
    this.floating = false; // no epoch known: the first entry anchors the cursor
    this.ahead = 0; // highest offset dropped as ahead of a gap
  }

  /** Restores a record made by toRecord; ignores anything malformed. */
  load(rec) {
    if (!rec || typeof rec.epoch !== 'string' || !Number.isSafeInteger(rec.offset)) return;
    this.epoch = rec.epoch;
    this.offset = rec.offset;
    this.own = new Set((Array.isArray(rec.own) ? rec.own : []).filter((id) => typeof id === 'string'));
  }

  /** The record to store: {epoch, offset, own}. */
  toRecord() {
    return { epoch: this.epoch, offset: this.offset, own: [...this.own] };
  }

  /**
   * The session authenticated; info is the first frame's or LOGIN's
   * `inbox` ({epoch, offset}; undefined when the server keeps no inbox).
   * Returns {sync, lost}: sync is the SYNC body to send (null: nothing
   * to fetch), lost is the previous epoch when the inbox's history was
   * lost since the client last saw it (else null).
   */
  onSession(info) {
    this.ahead = 0;
    if (!info || typeof info.epoch !== 'string') {
      // No inbox in the frame (a REFRESH on a fresh socket, or no inbox
      // at all): SYNC from what is known; with nothing known, 'oldest'
      // replays all and 'latest' lets the first entry anchor the cursor.
      if (this.epoch !== null || this.offset > 0) return { sync: this.syncBody(), lost: null };
      if (this.from === 'oldest') return { sync: { since: 0 }, lost: null };
      this.floating = true;
      return { sync: null, lost: null };
    }
    this.floating = false;
    if (this.epoch === null) {
      this.epoch = info.epoch;
      this.offset = this.from === 'oldest' ? 0 : info.offset;
      return { sync: this.offset < info.offset ? this.syncBody() : null, lost: null };
    }
    if (this.epoch !== info.epoch) {
      const lost = this.epoch;
      this.epoch = info.epoch;
      this.offset = 0;
      return { sync: info.offset > 0 ? this.syncBody() : null, lost };
    }
    return { sync: info.offset > this.offset ? this.syncBody() : null, lost: null };
  }

  /** The SYNC body that fetches everything after the cursor. */
  syncBody() {
    return this.epoch === null ? { since: this.offset } : { since: this.offset, epoch: this.epoch };
  }

  /** Judges one 3001 body and moves the cursor when it is in order. */
  judge(body) {
    if (!Number.isSafeInteger(body.offset)) return Verdict.DELIVER; // not stored: no inbox, or a raw backend publish
    if (this.floating) {
      this.floating = false;
      this.offset = body.offset;
      return this.isOwn(body) ? Verdict.SKIP : Verdict.DELIVER;
    }
    if (body.offset <= this.offset) return Verdict.SKIP;
    if (body.prev_offset !== this.offset) {
      this.ahead = Math.max(this.ahead, body.offset);
      return Verdict.GAP;
    }
    this.offset = body.offset;
    return this.isOwn(body) ? Verdict.SKIP : Verdict.DELIVER;
  }

  isOwn(body) {
    return typeof body.client_msg_id === 'string' && this.own.has(body.client_msg_id);
  }

  /** This client is about to SEND with clientMsgId. */
  onSend(clientMsgId) {
    this.own.add(clientMsgId);
    if (this.own.size > MAX_OWN) this.own.delete(this.own.values().next().value);
  }

  /**
   * A SYNC answered res ({epoch, offset, more, lost}). Returns {again,
   * lost}: again is the next SYNC body when the replay is not complete
   * (more, or entries were dropped ahead of a gap meanwhile); lost is
   * 'epoch' (the inbox's history was lost: a new epoch, replayed from its
   * start) or 'pruned' (entries after the cursor can no longer be
   * replayed: fetch them from the backend), else null.
   */
  onSyncResult(res) {
    if (typeof res.epoch === 'string' && this.epoch !== null && res.epoch !== this.epoch) {
      // A new epoch: its entries are all news to this client; replay them.
      this.epoch = res.epoch;
      this.offset = 0;
      this.ahead = 0;
      return { again: this.syncBody(), lost: 'epoch' };
    }
    if (typeof res.epoch === 'string') this.epoch = res.epoch;
    const lost = res.lost === true ? 'pruned' : null;
    if (lost && Number.isSafeInteger(res.offset) && res.offset > this.offset) {
      this.offset = res.offset;
    }
    const again = res.more === true || this.ahead > this.offset;
    if (!again) this.ahead = 0;
    return { again: again ? this.syncBody() : null, lost };
  }
}
