import { UnreachableCaseError, type ServiceClient, type StationName } from '@brigade/platform';
import type { ConfirmResult, ReserveResult, StationPort, StockLine } from '../domain/ports.js';

const RESERVE = /* GraphQL */ `
  mutation OrdersReserve($orderId: ID!, $lines: [StockLineInput!]!) {
    reserveStock(orderId: $orderId, lines: $lines) {
      status
      lines {
        menuItemId
        quantity
        available
      }
    }
  }
`;
const CONFIRM = /* GraphQL */ `
  mutation OrdersConfirm($orderId: ID!) {
    confirmReservation(orderId: $orderId) {
      status
    }
  }
`;
const RELEASE = /* GraphQL */ `
  mutation OrdersRelease($orderId: ID!) {
    releaseReservation(orderId: $orderId) {
      status
    }
  }
`;

type ReservationStatus = 'HELD' | 'CONFIRMED' | 'REFUSED' | 'RELEASED';
interface Reservation {
  status: ReservationStatus;
  lines: (StockLine & { available: number })[];
}

/** The stations' reservation API; every failure to get an answer becomes a `failed` result. */
export class StationsClient implements StationPort {
  constructor(private readonly clients: Readonly<Record<StationName, ServiceClient>>) {}

  async reserve(
    station: StationName,
    orderId: string,
    lines: readonly StockLine[],
    requestId: string,
    timeoutMs: number,
  ): Promise<ReserveResult> {
    let reservation: Reservation;
    try {
      ({ reserveStock: reservation } = await this.clients[station].request<{ reserveStock: Reservation }>(
        RESERVE,
        { orderId, lines },
        { requestId, timeoutMs },
      ));
    } catch (error) {
      return { kind: 'failed', cause: (error as Error).message };
    }
    switch (reservation.status) {
      case 'HELD':
      case 'CONFIRMED':
        return { kind: 'held' };
      case 'REFUSED':
        return { kind: 'refused', lines: reservation.lines };
      case 'RELEASED':
        return { kind: 'released' };
      default:
        // A status this build does not know is a failure of the call, not of the saga.
        return { kind: 'failed', cause: new UnreachableCaseError(reservation.status).message };
    }
  }

  async confirm(station: StationName, orderId: string, requestId: string, timeoutMs: number): Promise<ConfirmResult> {
    let status: ReservationStatus;
    try {
      ({
        confirmReservation: { status },
      } = await this.clients[station].request<{ confirmReservation: { status: ReservationStatus } }>(
        CONFIRM,
        { orderId },
        { requestId, timeoutMs },
      ));
    } catch (error) {
      return { kind: 'failed', cause: (error as Error).message };
    }
    switch (status) {
      case 'CONFIRMED':
        return { kind: 'confirmed' };
      case 'RELEASED':
        return { kind: 'released' };
      case 'HELD':
      case 'REFUSED':
        return { kind: 'failed', cause: `confirmation answered ${status}` };
      default:
        return { kind: 'failed', cause: new UnreachableCaseError(status).message };
    }
  }

  async release(station: StationName, orderId: string, requestId: string): Promise<void> {
    await this.clients[station].request(RELEASE, { orderId }, { requestId });
  }
}
