/*
 * bastion's native hook client: the same protocol as shim.py, without an interpreter.
 *
 *     bastion-hook AGENT PYTHON SHIM        (stdin: the agent's hook payload)
 *
 * A Python process costs ~13 ms to start even with -I -S; this costs ~1 ms. It only does the
 * fast path: read the payload, hand it to the daemon in the 0700 runtime directory, print the
 * answer. For anything else (no daemon, an untrusted directory, an odd reply, a payload over the
 * cap) it replaces itself with `PYTHON -I -S SHIM AGENT`, handing over the bytes it has read,
 * and the shim does what it always does: start the daemon, judge in-process, deny on failure.
 * Built by `bastion install` with the system C compiler; libc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PAYLOAD (4 * 1024 * 1024) /* shim.MAX_PAYLOAD_BYTES */
#define DAEMON_TIMEOUT_S 5
#define STDIN_DEADLINE_S 10

static char *payload;
static size_t payload_len;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
    (void)sig;
    timed_out = 1;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read stdin; keep at most MAX_PAYLOAD + 1 bytes (enough for the shim to see it is too big). */
static int read_payload(void) {
    size_t cap = 1 << 16;
    payload = malloc(cap);
    if (!payload) return -1;
    for (;;) {
        char chunk[1 << 16];
        ssize_t n = read(0, chunk, sizeof chunk);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR && !timed_out) continue;
            return -1;
        }
        size_t keep = (size_t)n;
        if (payload_len + keep > MAX_PAYLOAD + 1) keep = MAX_PAYLOAD + 1 - payload_len;
        if (keep == 0) continue; /* drain: the agent's write must not fail on a closed pipe */
        if (payload_len + keep > cap) {
            while (payload_len + keep > cap) cap *= 2;
            char *grown = realloc(payload, cap);
            if (!grown) return -1;
            payload = grown;
        }
        memcpy(payload + payload_len, chunk, keep);
        payload_len += keep;
    }
}

static int runtime_dir(char *out, size_t size) {
    const char *explicit_dir = getenv("BASTION_RUNTIME_DIR");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (explicit_dir && *explicit_dir)
        n = snprintf(out, size, "%s", explicit_dir);
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/bastion", xdg);
    else
        n = snprintf(out, size, "/tmp/bastion-%u", (unsigned)getuid());
    return (n > 0 && (size_t)n < size) ? 0 : -1;
}

/* Trusted only if it is our own directory and closed to everyone else (see shim.py). */
static int secure_dir(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) return -1;
    return 0;
}

/* 0 and the reply parts on success; -1 when the daemon is missing or misbehaves. */
static int ask_daemon(const char *dir, const char *agent, char **reply, size_t *reply_len,
                      int *code, size_t *out_len, size_t *err_len) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/daemon.sock", dir) >=
        (int)sizeof addr.sun_path)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval tv = {DAEMON_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    size_t cwd_len = strlen(cwd);
    char *header = malloc(64 + strlen(agent) + 2 * cwd_len + 2);
    if (!header) {
        close(fd);
        return -1;
    }
    int h = sprintf(header, "BASTION/1 HOOK %s %zu ", agent, payload_len);
    for (size_t i = 0; i < cwd_len; i++) h += sprintf(header + h, "%02x", (unsigned char)cwd[i]);
    header[h++] = '\n';
    int failed = write_all(fd, header, (size_t)h) || write_all(fd, payload, payload_len);
    free(header);
    if (failed) {
        close(fd);
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    while (data) {
        if (len == cap) {
            char *grown = realloc(data, cap *= 2);
            if (!grown) break;
            data = grown;
        }
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        char *nl = memchr(data, '\n', len);
        if (!nl) continue;
        size_t body = (size_t)(nl - data) + 1;
        *nl = '\0';
        if (sscanf(data, "BASTION/1 %d %zu %zu", code, out_len, err_len) != 3) break;
        *nl = '\n';
        if (len - body >= *out_len + *err_len) {
            close(fd);
            *reply = data + body;
            *reply_len = len - body;
            return 0;
        }
    }
    free(data);
    close(fd);
    return -1;
}

/* Become the Python shim with the payload read so far on its stdin. */
static void hand_to_shim(const char *agent, const char *python, const char *shim) {
    int fd = memfd_create("bastion-payload", 0);
    if (fd >= 0 && write_all(fd, payload ? payload : "", payload_len) == 0 &&
        lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, 0) == 0) {
        close(fd);
        alarm(0);
        char *argv[] = {(char *)python, "-I", "-S", (char *)shim, (char *)agent, NULL};
        execv(python, argv);
    }
    /* Nothing left to hand over to: deny in every shape the agents read, exit 2 to block. */
    static const char deny[] =
        "{\"permission\": \"deny\", \"decision\": \"deny\", \"permissionDecision\": \"deny\", "
        "\"reason\": \"bastion: the hook client could not run its fallback; denied\", "
        "\"permissionDecisionReason\": \"bastion: the hook client could not run its fallback; "
        "denied\", \"agentMessage\": \"bastion: the hook client could not run its fallback; "
        "denied\"}\n";
    write_all(1, deny, sizeof deny - 1);
    write_all(2, "bastion: the hook client could not run its fallback; denied\n", 61);
    _exit(2);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        static const char usage[] = "usage: bastion-hook AGENT PYTHON SHIM\n";
        write_all(2, usage, sizeof usage - 1);
        static const char deny[] =
            "{\"permission\": \"deny\", \"decision\": \"deny\", \"permissionDecision\": \"deny\", "
            "\"reason\": \"bastion: bad hook command\"}\n";
        write_all(1, deny, sizeof deny - 1);
        return 2;
    }
    const char *agent = argv[1], *python = argv[2], *shim = argv[3];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: a stuck read returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    alarm(STDIN_DEADLINE_S);
    int read_failed = read_payload();
    alarm(0);
    if (read_failed || payload_len > MAX_PAYLOAD) hand_to_shim(agent, python, shim);

    char dir[4096];
    char *reply;
    size_t reply_len, out_len, err_len;
    int code;
    if (runtime_dir(dir, sizeof dir) == 0 && secure_dir(dir) == 0 &&
        ask_daemon(dir, agent, &reply, &reply_len, &code, &out_len, &err_len) == 0) {
        if (write_all(1, reply, out_len) || write_all(2, reply + out_len, err_len)) return 2;
        return code;
    }
    hand_to_shim(agent, python, shim);
    return 2; /* not reached */
}
