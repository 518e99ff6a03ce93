package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Version is the protocol version this package speaks. A front end says
// which version it speaks in hello; the agent refuses any other.
const Version = 1

// MaxLine bounds one message on the socket (the newline included). A
// longer request gets an error reply and is skipped; the connection
// stays usable.
const MaxLine = 64 << 10

// Commands a front end sends.
const (
	CmdHello      = "hello"
	CmdHosts      = "hosts"
	CmdConnect    = "connect"
	CmdAnswer     = "answer"
	CmdDisconnect = "disconnect"
	CmdStatus     = "status"
	CmdSubscribe  = "subscribe"
	// CmdDiag returns the agent's recent log and events (added within
	// version 1: an older agent answers bad_request).
	CmdDiag = "diag"
)

// Request is one line from a front end. ID is chosen by the front end and
// echoed in the reply; Cmd selects which of the other fields count.
type Request struct {
	ID  uint64 `json:"id"`
	Cmd string `json:"cmd"`
	// Version: hello only.
	Version int `json:"version,omitempty"`
	// Connect: connect only.
	Connect *ConnectRequest `json:"connect,omitempty"`
	// Answer: answer only; fields left out keep their values. It holds
	// secrets: never log it.
	Answer map[string]string `json:"answer,omitempty"`
}

// ConnectRequest says what to connect to. Host is a HostName or address
// of a managed profile, or any host (address or name, optionally with
// :port) when the managed profiles allow manual host input. The other
// fields override the profile where policy allows (see PROTOCOL.md).
type ConnectRequest struct {
	Host string `json:"host"`
	// Backups are tried in order when Host does not answer (manual hosts
	// only).
	Backups []string `json:"backups,omitempty"`
	Group   string   `json:"group,omitempty"`
	Auth    string   `json:"auth,omitempty"`
	User    string   `json:"user,omitempty"`
	// Password, when set, is used without asking (from the user's keyring
	// or --passwd-on-stdin). It is kept in the agent's memory only, for
	// the session's reconnects.
	Password string `json:"password,omitempty"`
	IKE      string `json:"ike,omitempty"`
	ESP      string `json:"esp,omitempty"`
	// ServerCert lists "pin-sha256:..." values to trust (manual hosts
	// only).
	ServerCert  []string `json:"servercert,omitempty"`
	Identity    string   `json:"ike_identity,omitempty"`
	NoDNS       bool     `json:"no_dns,omitempty"`
	NoRoutes    bool     `json:"no_routes,omitempty"`
	NoReconnect bool     `json:"no_reconnect,omitempty"`
}

// String describes the request without its password.
func (c ConnectRequest) String() string {
	s := fmt.Sprintf("host %q", c.Host)
	if c.Group != "" {
		s += fmt.Sprintf(" group %q", c.Group)
	}
	if c.User != "" {
		s += fmt.Sprintf(" user %q", c.User)
	}
	if c.Password != "" {
		s += " (password given)"
	}
	return s
}

// Message is one line from the agent: a reply (Type "reply", the ID of
// the request, Error or the command's result) or an event (Type "event").
type Message struct {
	Type   string       `json:"type"`
	ID     uint64       `json:"id,omitempty"`
	Error  *Error       `json:"error,omitempty"`
	Hello  *HelloResult `json:"hello,omitempty"`
	Hosts  *HostsResult `json:"hosts,omitempty"`
	Status *Status      `json:"status,omitempty"`
	Diag   *DiagResult  `json:"diag,omitempty"`
	Event  *Event       `json:"event,omitempty"`
}

// Message types.
const (
	TypeReply = "reply"
	TypeEvent = "event"
)

// Error is a refused request. Code is one of the Code constants; Message
// is for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return "agent: " + e.Message }

// Error codes.
const (
	CodeBadRequest  = "bad_request" // not a request of this protocol
	CodeTooLong     = "too_long"    // longer than MaxLine
	CodeVersion     = "version"     // hello with a version the agent does not speak
	CodeHelloFirst  = "hello_first" // a command before hello
	CodeForbidden   = "forbidden"   // the peer may not use the agent
	CodePolicy      = "policy"      // the managed profiles do not allow it
	CodeBusy        = "busy"        // a session is up already
	CodeNoSession   = "no_session"  // disconnect or answer without a session
	CodeNoForm      = "no_form"     // answer while no form waits
	CodeAnswer      = "answer"      // the form did not accept the answer
	CodeConnect     = "connect"     // the session could not start
	CodeUnavailable = "unavailable" // the agent is shutting down
)

// HelloResult is the reply to hello: the protocol version, the agent's
// build, and who the agent takes the caller for.
type HelloResult struct {
	Version int    `json:"version"`
	Agent   string `json:"agent"`
	UID     int    `json:"uid"`
	PID     int    `json:"pid"`
	// Rights lists what the caller may do: "connect", "disconnect",
	// "watch", "diag" (every caller allowed in has them all today).
	Rights []string `json:"rights"`
}

// HostsResult lists the hosts of the managed profiles, and whether other
// hosts (the caller's own profiles, typed addresses) are allowed.
type HostsResult struct {
	Hosts         []Host `json:"hosts"`
	ManualAllowed bool   `json:"manual_allowed"`
	// ManualForbiddenBy names the profile that forbids manual hosts.
	ManualForbiddenBy string `json:"manual_forbidden_by,omitempty"`
}

// Host is one managed host.
type Host struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Group   string `json:"group,omitempty"`
	Auth    string `json:"auth"`
	Source  string `json:"source"`
	// Usable is false for entries vpnc-go cannot connect to; Reason says
	// why.
	Usable bool   `json:"usable"`
	Reason string `json:"reason,omitempty"`
}

// DecodeRequest reads one request line (without its newline). Every
// problem is an *Error naming what was wrong.
func DecodeRequest(line []byte) (*Request, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, &Error{CodeBadRequest, "empty line"}
	}
	if len(line) >= MaxLine {
		return nil, &Error{CodeTooLong, fmt.Sprintf("request longer than %d bytes", MaxLine)}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		return nil, &Error{CodeBadRequest, "not a request: " + jsonProblem(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{CodeBadRequest, "not a request: more than one JSON value on the line"}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// jsonProblem words a decoding error without echoing the input (which
// may hold a password).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "invalid JSON"
}

// check says whether the fields fit the command.
func (r *Request) check() error {
	bad := func(format string, a ...any) error {
		return &Error{CodeBadRequest, fmt.Sprintf(r.Cmd+": "+format, a...)}
	}
	if r.Cmd != CmdHello && r.Version != 0 {
		return bad("version belongs to hello")
	}
	if r.Cmd != CmdConnect && r.Connect != nil {
		return bad("connect belongs to connect")
	}
	if r.Cmd != CmdAnswer && r.Answer != nil {
		return bad("answer belongs to answer")
	}
	switch r.Cmd {
	case CmdHello:
		if r.Version <= 0 {
			return bad("no version")
		}
	case CmdConnect:
		if r.Connect == nil || strings.TrimSpace(r.Connect.Host) == "" {
			return bad("no host")
		}
	case CmdHosts, CmdAnswer, CmdDisconnect, CmdStatus, CmdSubscribe, CmdDiag:
	case "":
		return &Error{CodeBadRequest, "no cmd"}
	default:
		return &Error{CodeBadRequest, fmt.Sprintf("unknown cmd %q", truncate(r.Cmd, 40))}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// errLineTooLong is readLine's report of a line over the limit, which it
// skipped.
var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most max bytes (newline included),
// without it. A longer line is read to its end and dropped, and
// errLineTooLong returned, so the next line can be read.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			line = nil
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}
