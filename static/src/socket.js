// The console's one websocket to the server's live stream (/live). Every
// page that streams (the designer's live view, a running trace, the
// dead letters just replayed) opens it through openSocket, which owns
// what they share: the address, reconnecting with back-off, unpacking
// the server's messages (one envelope, a batch of them, or counters) and
// counting what was lost on the way.

// firstWaitMs is the wait before the first reconnect; each failure
// doubles it up to maxWaitMs, so a server that is down is not hammered
// and one that comes back is found within seconds.
const firstWaitMs = 500, maxWaitMs = 10000;

// liveURL is the stream's address on this server, with its filter as
// query parameters (trace, app, event), encoded.
export function liveURL(params) {
  const u = new URL("/live", location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
  }
  return u.href;
}

// envelopesOf unpacks one message of the stream: the notes of a moment
// come as {"batch":[...]}, a single one as the envelope itself, and
// counters ({"stats":...}) carry none.
export function envelopesOf(msg) {
  if (Array.isArray(msg.batch)) return msg.batch;
  return msg.note ? [msg] : [];
}

// openSocket connects to the live stream and keeps it connected until
// close() is called or keep() answers false after a disconnection.
//
// Callbacks (each optional):
//   onOpen()          connected (again): the page catches up on what it
//                     missed, since the stream does not replay the past;
//   onEnvelope(env)   each note's envelope, in order;
//   onStats(stats)    the counters the server sends every second;
//   onStatus(state, info)  "connected"; "skipped" with info.lost (the
//                     messages lost since connecting, to this page's
//                     pace or the server's cap); "disconnected" with
//                     info.waitMs before the next try; "closed".
//
// It returns { close(), readyState }: readyState is the current
// connection's (WebSocket.OPEN when connected).
export function openSocket({ params, onOpen, onEnvelope, onStats, onStatus, keep } = {}) {
  let ws = null, wait = firstWaitMs, timer = 0, closed = false;
  const status = (state, info) => onStatus && onStatus(state, info || {});
  const connect = () => {
    timer = 0;
    const sock = new WebSocket(liveURL(params));
    ws = sock;
    let lastSeq = 0, lost = 0;
    sock.onopen = () => {
      wait = firstWaitMs;
      status("connected");
      if (onOpen) onOpen();
    };
    sock.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.stats) { if (onStats) onStats(msg.stats); return; }
      for (const env of envelopesOf(msg)) {
        // A gap in the sequence, or the server's drop count, is a
        // message this page did not get.
        const gap = lastSeq && env.seq > lastSeq + 1 ? env.seq - lastSeq - 1 : 0;
        const now = Math.max(env.dropped || 0, lost + gap);
        lastSeq = env.seq || lastSeq;
        if (now > lost) { lost = now; status("skipped", { lost }); }
        if (onEnvelope) onEnvelope(env);
      }
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      if (closed || (keep && !keep())) { closed = true; status("closed"); return; }
      const waitMs = wait;
      wait = Math.min(wait * 2, maxWaitMs);
      timer = setTimeout(connect, waitMs);
      status("disconnected", { waitMs });
    };
  };
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
    },
    get readyState() { return ws ? ws.readyState : WebSocket.CLOSED; },
  };
}
