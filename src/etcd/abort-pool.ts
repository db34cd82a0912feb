/**
 * AbortControllers kept for reuse by unary calls' cancel signals.
 * @module
 */
import { getEventListeners } from 'node:events';

/**
 * A bounded stock of AbortControllers that were never aborted and whose signal has no listener
 * left: constructing one costs Node 20 a few microseconds (more than the rest of what raftkit/etcd
 * does for a serializable Range), and almost every unary call that carries a cancel signal is
 * answered without it aborting. A controller given back is kept only if its signal was not
 * aborted and nobody listens to it any more (whoever used it is done with it); otherwise it is
 * dropped, as it would have been without the pool.
 *
 * Invariant: every controller in stock has an unaborted signal with no `abort` listener.
 * @internal
 */
export class AbortPool {
  private readonly stock: AbortController[] = [];
  private readonly max: number;

  /** @param max - the most controllers kept. */
  constructor(max: number) {
    this.max = max;
  }

  /** A controller whose signal is not aborted and has no listener: from the stock, or new. */
  take(): AbortController {
    return this.stock.pop() ?? new AbortController();
  }

  /** Gives `controller` back once its call is answered; kept only if unaborted and unlistened. */
  give(controller: AbortController): void {
    const signal = controller.signal;
    if (this.stock.length >= this.max || signal.aborted || getEventListeners(signal, 'abort').length > 0) return;
    this.stock.push(controller);
  }

  /** How many controllers are in stock. */
  get size(): number {
    return this.stock.length;
  }
}
