package io.zab.examples.kv;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, after Netty's HTTP/1.1 decoder: gathers each request's body within
 * the limit, serves requests one at a time in arrival order, and writes each reply.
 *
 * <p>Pipelining is served by serialising: while a request waits for its reply, requests that
 * arrive behind it queue here and the connection stops reading (autoRead off), so the queue
 * holds at most what one read brought in; it reads again once the queue is empty. A client
 * that does not pipeline never turns reading off. Replies therefore leave in request order
 * without any reordering.
 *
 * <p>Everything here runs on the channel's event loop; the only other thread that touches it
 * is the one completing a node future, and that one just posts the reply back to the loop.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
    private static final HttpHeadersFactory UNVALIDATED =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final KvApi api;
    private final InFlightBudget budget;
    private final HttpLimits limits;
    private final long timeoutMs;
    private final BooleanSupplier serverClosing;
    private ChannelHandlerContext ctx;

    /** The request being read, or null between requests. */
    private HttpRequest head;
    private byte[] body;
    private int bodyLength;
    /** Budget taken for the body being read: its declared length, or what came so far. */
    private long bodyReserved;
    /** Budget this connection holds for bodies, read or being read; freed when it closes. */
    private long held;
    /** Complete requests behind the one in flight. */
    private final ArrayDeque<Queued> waiting = new ArrayDeque<>();
    /** The request whose reply is awaited, or null. */
    private Exchange active;
    /** A reply that closes the connection was written: nothing more is read or served. */
    private boolean finished;

    /**
     * @param refusal non-null for a request refused while it was read (too large, malformed):
     *     its reply, after which the connection closes
     * @param reserved budget its body holds until it is served
     */
    private record Queued(KvRequest request, HttpVersion version, boolean keepAlive,
            Reply refusal, long reserved) {
    }

    /** One request in flight; identity tells a late reply from the current one. */
    private static final class Exchange {
        final Queued queued;
        /** When it is answered 504 if the node has not answered it ({@link System#nanoTime}). */
        final long deadlineNanos;

        Exchange(Queued queued, long deadlineNanos) {
            this.queued = queued;
            this.deadlineNanos = deadlineNanos;
        }
    }

    /**
     * The one timer of this connection, or null: it fires at or before the deadline of the
     * request in flight. One timer serves many requests (most are answered long before their
     * deadline), rather than a timer scheduled and cancelled for each.
     */
    private ScheduledFuture<?> timer;

    HttpConnection(KvApi api, InFlightBudget budget, HttpLimits limits, long timeoutMs,
            BooleanSupplier serverClosing) {
        this.api = api;
        this.budget = budget;
        this.limits = limits;
        this.timeoutMs = timeoutMs;
        this.serverClosing = serverClosing;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            read(msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(Object msg) {
        if (finished || !(msg instanceof HttpObject o)) {
            return;
        }
        if (o.decoderResult().isFailure()) {
            // The decoder discards everything after a failure: this is the last request.
            refuse(refusalFor(o.decoderResult().cause()));
            return;
        }
        if (msg instanceof HttpRequest r) {
            begin(r);
        }
        if (msg instanceof HttpContent c && head != null) {
            append(c);
        }
    }

    private void begin(HttpRequest r) {
        head = r;
        bodyLength = 0;
        bodyReserved = 0;
        long declared;
        try {
            declared = HttpUtil.getContentLength(r, 0L);
        } catch (NumberFormatException e) {
            refuse(Reply.error(400, "bad request: malformed Content-Length"));
            return;
        }
        if (declared > limits.maxBodyBytes()) {
            refuse(tooLarge());
            return;
        }
        if (!reserve(declared)) {
            return;
        }
        body = new byte[(int) Math.max(0, declared)];
        // A 100 Continue may only go out when no earlier reply is owed, or it would answer
        // the wrong request; a client that gets none sends its body after its own delay.
        if (HttpUtil.is100ContinueExpected(r) && active == null && waiting.isEmpty()) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(r.protocolVersion(),
                    HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
    }

    private void append(HttpContent c) {
        ByteBuf content = c.content();
        int n = content.readableBytes();
        if ((long) bodyLength + n > limits.maxBodyBytes()) {
            refuse(tooLarge());
            return;
        }
        if (!reserve(bodyLength + n - bodyReserved)) {
            return;
        }
        if (bodyLength + n > body.length) {
            int grown = (int) Math.min(limits.maxBodyBytes(), Math.max(bodyLength + n,
                    2L * body.length));
            body = Arrays.copyOf(body, grown);
        }
        content.readBytes(body, bodyLength, n);
        bodyLength += n;
        if (c instanceof LastHttpContent) {
            byte[] b = bodyLength == body.length ? body : Arrays.copyOf(body, bodyLength);
            enqueue(new Queued(new KvRequest(head.method().name(), head.uri(), b),
                    head.protocolVersion(), HttpUtil.isKeepAlive(head), null, bodyReserved));
            head = null;
            body = null;
        }
    }

    /**
     * Takes {@code bytes} more of the budget for the body being read; if there is none, refuses
     * the request (its body is not read, so the connection closes) and returns false.
     */
    private boolean reserve(long bytes) {
        if (bytes <= 0) {
            return true;
        }
        if (!budget.tryReserve(bytes)) {
            refuse(Reply.retryLater("overloaded"));
            return false;
        }
        bodyReserved += bytes;
        held += bytes;
        return true;
    }

    private Reply tooLarge() {
        return Reply.error(413, "value larger than " + limits.maxBodyBytes() + " bytes");
    }

    private Reply refusalFor(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return Reply.error(431, "request headers larger than " + limits.maxHeaderBytes()
                    + " bytes");
        }
        if (cause instanceof TooLongHttpLineException) {
            return Reply.error(414, "request line longer than " + limits.maxHeaderBytes()
                    + " bytes");
        }
        return Reply.error(400, "bad request: " + cause.getMessage());
    }

    /** Answers after whatever is owed before it, then closes: the rest of the input is lost. */
    private void refuse(Reply reply) {
        HttpVersion version = head != null ? head.protocolVersion() : HttpVersion.HTTP_1_1;
        head = null;
        body = null;
        finished = true;
        enqueue(new Queued(null, version, false, reply, 0));
    }

    private void enqueue(Queued q) {
        waiting.add(q);
        serve();
        updateReading();
    }

    /** Starts queued requests until one has to wait for its reply. */
    private void serve() {
        while (active == null && !waiting.isEmpty()) {
            Queued q = waiting.poll();
            // From here the body is the request's; a write counts its txn in the budget.
            budget.unreserve(q.reserved());
            held -= q.reserved();
            if (q.refusal() != null) {
                respond(q, q.refusal());
            } else if (serverClosing.getAsBoolean()) {
                respond(q, Reply.retryLater("server closing"));
            } else {
                start(q);
            }
        }
    }

    private void start(Queued q) {
        CompletableFuture<Reply> f = api.handle(q.request());
        if (f.isDone()) {
            Reply now;
            try {
                now = f.join();
            } catch (CompletionException e) {
                now = internalError(e.getCause());
            }
            respond(q, now);
            return;
        }
        Exchange x = new Exchange(q,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        active = x;
        if (timer == null) {
            timer = ctx.executor().schedule(this::checkDeadline, timeoutMs, TimeUnit.MILLISECONDS);
        }
        f.whenComplete((r, e) -> onLoop(() -> answer(x, e == null ? r : internalError(e))));
    }

    /** Answers the request in flight 504 if its deadline passed, else waits for it. */
    private void checkDeadline() {
        timer = null;
        Exchange x = active;
        if (x == null) {
            return;
        }
        long left = x.deadlineNanos - System.nanoTime();
        if (left <= 0) {
            answer(x, Reply.error(504, "timeout, outcome unknown"));
        } else {
            timer = ctx.executor().schedule(this::checkDeadline, left, TimeUnit.NANOSECONDS);
        }
    }

    private static Reply internalError(Throwable e) {
        LOG.warn("a request failed unexpectedly", e);
        return Reply.error(500, "internal error: " + e);
    }

    /** Runs on the event loop; after the server closed the loop is gone, and so is the need. */
    private void onLoop(Runnable r) {
        try {
            ctx.executor().execute(r);
        } catch (RejectedExecutionException e) {
            LOG.debug("reply after the server closed: dropped ({})", e.toString());
        }
    }

    /** The reply of {@code x}, unless it was answered already (timeout, close). */
    private void answer(Exchange x, Reply reply) {
        if (active != x) {
            return;
        }
        active = null;
        respond(x.queued, reply);
        serve();
        updateReading();
    }

    private void respond(Queued q, Reply reply) {
        boolean keepAlive = q.keepAlive() && !serverClosing.getAsBoolean();
        byte[] b = reply.body().getBytes(StandardCharsets.UTF_8);
        // Every header below is ours and well-formed: validating them is work for nothing.
        HttpHeaders headers = UNVALIDATED.newHeaders();
        FullHttpResponse r = new DefaultFullHttpResponse(q.version(),
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(b), headers,
                EmptyHttpHeaders.INSTANCE);
        // Date: an origin server with a clock sends it (RFC 9110); ClockJumpIT reads each node's
        // wall clock from it.
        headers.set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, b.length)
                .set(HttpHeaderNames.DATE, HttpDate.now());
        if (reply.retryAfter()) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        HttpUtil.setKeepAlive(r, keepAlive);
        ChannelFuture written = ctx.writeAndFlush(r);
        if (!keepAlive) {
            finished = true;
            waiting.clear();
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Reads while nothing queues behind the request in flight; never after the last reply. */
    private void updateReading() {
        boolean read = !finished && waiting.isEmpty();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    /**
     * The server is closing: the request in flight gets a 504 now (its outcome is unknown, the
     * node may still apply it, as after a timeout; 503 always means never applied) and the
     * connection closes; one with nothing owed just closes.
     */
    void serverClosing() {
        onLoop(() -> {
            Exchange x = active;
            if (x != null) {
                answer(x, Reply.error(504, "server closing, outcome unknown"));
            } else if (!finished) {
                finished = true;
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // A request waiting on the node is not idleness: its timeout answers it instead.
        if (evt instanceof IdleStateEvent && active == null) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        active = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        waiting.clear();
        finished = true;
        budget.unreserve(held);
        held = 0;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
