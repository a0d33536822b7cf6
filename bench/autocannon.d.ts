// The part of autocannon's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    /** One step of a connection's cycle; `context` is the connection's state through the cycle. */
    interface RequestStep<Context> {
      setupRequest?: (request: Record<string, unknown>, context: Context) => Record<string, unknown> | undefined;
      onResponse?: (status: number, body: string, context: Context, headers: Record<string, string>) => void;
    }
    interface Options<Context> {
      url: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      /** A fixed number of requests instead of a duration. */
      amount?: number;
      timeout?: number;
      requests?: RequestStep<Context>[];
    }
    interface Histogram {
      average: number;
      max: number;
      min: number;
      p50: number;
      p99: number;
    }
    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      latency: Histogram;
      requests: Histogram & { total: number; sent: number };
      statusCodeStats?: Record<string, { count: number }>;
    }
  }
  function autocannon<Context = Record<string, unknown>>(
    options: autocannon.Options<Context>,
  ): Promise<autocannon.Result>;
  export default autocannon;
}
