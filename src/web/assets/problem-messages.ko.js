// @ts-check
// What the pages say, in Korean, for each problem the API can answer (its `code`,
// src/shared/errors.ts), and for each reason a field can be refused for (`errors[].reason` of a
// VALIDATION_FAILED). The API's own `detail` is English for developers and is never shown.
// Its English twin is problem-messages.en.js; test/unit/web-problem-messages.test.ts fails
// when a code or reason lacks a sentence in either. app.js loads the page's language only, at its
// own version (no DOM here, so the unit test imports it).

/** @typedef {import('./api').Schemas['Problem']['code']} ProblemCode */
/**
 * Why a field was refused: the bound broken and the kind of value, where there is one.
 * @typedef {{ reason?: string, minimum?: number, maximum?: number, origin?: string }} FieldError
 */

/** @type {Record<ProblemCode | 'default', string>} */
export const problemMessages = {
  VALIDATION_FAILED: '입력값을 확인해 주세요.',
  UNAUTHENTICATED: '로그인이 필요합니다.',
  TOKEN_EXPIRED: '로그인이 만료되었습니다. 다시 로그인해 주세요.',
  FORBIDDEN: '권한이 없습니다.',
  NOT_FOUND: '찾을 수 없습니다.',
  METHOD_NOT_ALLOWED: '이 작업은 여기에서 할 수 없습니다.',
  CONFLICT: '지금 상태에서는 이 작업을 할 수 없습니다. 새로 고친 뒤 다시 시도해 주세요.',
  EMAIL_TAKEN: '이미 가입된 이메일입니다.',
  INVALID_CREDENTIALS: '이메일 또는 비밀번호가 올바르지 않습니다.',
  ACCOUNT_LOCKED: '로그인 시도가 너무 많아 잠시 잠겼습니다. 잠시 후 다시 시도하세요.',
  SEAT_UNAVAILABLE: '이미 다른 분이 선택한 좌석입니다. 다른 좌석을 골라 주세요.',
  TOO_MANY_SEATS: '한 번에 선택할 수 있는 좌석 수를 넘었습니다.',
  TICKET_LIMIT: '이 공연의 1인당 구매 한도를 넘습니다.',
  SOLD_OUT: '남은 좌석이 그만큼 없습니다.',
  NO_SEATS_TOGETHER: '그 매수만큼 붙어 있는 좌석이 없습니다.',
  NOT_DECLINABLE: '이 좌석은 다시 제안받을 수 없습니다.',
  SALE_NOT_OPEN: '지금은 판매 기간이 아닙니다.',
  SALE_PAUSED: '판매가 잠시 중지되었습니다. 재개되면 다시 시도해 주세요.',
  PERFORMANCE_CANCELLED: '이 회차는 취소되었습니다. 구매하신 예매는 자동으로 환불됩니다.',
  RESERVATION_EXPIRED: '선점 시간이 지나 결제할 수 없습니다. 좌석을 다시 선택해 주세요.',
  RESERVATION_NOT_PAYABLE: '이 예매는 결제할 수 없는 상태입니다.',
  ALREADY_PAID: '이미 결제된 예매입니다.',
  NOT_CANCELLABLE: '이 예매는 취소할 수 없습니다.',
  CANCELLATION_CLOSED: '취소 가능 기간이 지났습니다.',
  INSUFFICIENT_BALANCE: '지갑 잔액이 부족합니다. 충전 후 다시 결제해 주세요.',
  BALANCE_LIMIT_EXCEEDED: '지갑 최대 잔액을 넘습니다.',
  ALREADY_USED: '이미 입장에 사용된 티켓입니다.',
  TICKET_REFUNDED: '환불되어 무효가 된 티켓입니다.',
  TICKET_TRANSFERRED: '이 구매의 티켓이 이미 다른 사람에게 양도되어 취소할 수 없습니다.',
  TRANSFER_PENDING: '이 티켓에는 진행 중인 양도 제안이 있습니다. 먼저 철회해 주세요.',
  TRANSFER_CLOSED: '이 양도 제안은 더 이상 유효하지 않습니다.',
  TRANSFER_WINDOW_CLOSED: '이 공연의 티켓 양도가 마감되었습니다.',
  TRANSFER_TO_SELF: '자기 자신에게는 티켓을 양도할 수 없습니다.',
  TICKET_CANCELLED: '공연 취소로 무효가 된 티켓입니다.',
  CODE_EXPIRED: '만료된 코드입니다. 코드는 15초마다 바뀌니 캡처 화면이 아닌 티켓 화면을 보여 주세요.',
  CODE_NOT_YET_VALID: '아직 유효하지 않은 코드입니다. 코드를 보여 주는 휴대폰의 시계를 확인해 주세요.',
  CODE_REISSUED: '새 코드로 바뀐 티켓입니다 (양도 또는 재발급).',
  GATES_NOT_OPEN: '인쇄한 티켓은 입장 시작 시각부터 유효합니다. 그 전에는 티켓 화면을 보여 주세요.',
  TICKET_ADMITTED: '이미 입장한 티켓이 있어 환불할 수 없습니다.',
  IDEMPOTENCY_KEY_REUSED: '같은 요청이 다른 내용으로 다시 보내졌습니다. 새로 고친 뒤 다시 시도해 주세요.',
  IDEMPOTENCY_IN_PROGRESS: '같은 요청을 아직 처리하고 있습니다. 잠시 후 다시 확인해 주세요.',
  SEATS_AVAILABLE: '지금 선택할 수 있는 좌석이 있습니다. 대기하지 말고 바로 선점하세요.',
  ALREADY_ON_WAITLIST: '이미 이 회차의 대기 명단에 있습니다.',
  WAITLIST_CLOSED: '이 회차의 대기 명단은 마감되었습니다.',
  WEBHOOK_URL_REFUSED: '이 웹훅 주소는 쓸 수 없습니다. https 주소여야 합니다(개발 중에는 이 컴퓨터의 http 주소도 됩니다).',
  WEBHOOK_EVENT_TYPE_UNKNOWN: '고른 이벤트 유형 중 없는 것이나 공연에 관한 것이 아닌 것이 있습니다.',
  WEBHOOK_ENDPOINT_DISABLED: '이 웹훅 엔드포인트는 꺼져 있습니다. 먼저 켜 주세요.',
  QUEUE_TOKEN_REQUIRED: '대기실을 먼저 거쳐야 합니다.',
  QUEUE_TOKEN_INVALID: '대기열 정보가 올바르지 않습니다. 다시 대기해 주세요.',
  QUEUE_NOT_ACTIVE: '아직 입장 순서가 아닙니다.',
  RATE_LIMITED: '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
  PAYLOAD_TOO_LARGE: '보내신 내용이 너무 큽니다. 줄여서 다시 시도해 주세요.',
  UNSUPPORTED_MEDIA_TYPE: '이 형식의 요청은 받을 수 없습니다.',
  SERVICE_UNAVAILABLE: '일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도하세요.',
  INTERNAL: '서버에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.',
  default: '요청을 처리하지 못했습니다.',
};

/**
 * Why a field was refused (`errors[].reason`): the API's own rules (src/shared/validation-reasons.ts)
 * and the schema checks (zod's issue codes).
 * @type {Record<string, (e: FieldError) => string>}
 */
export const validationMessages = {
  STARTS_IN_PAST: () => '공연 시작은 지금 이후여야 합니다.',
  SALE_CLOSES_IN_PAST: () => '판매 종료는 지금 이후여야 합니다.',
  SALE_OPENS_AFTER_CLOSE: () => '판매 시작은 판매 종료보다 앞서야 합니다.',
  SALE_CLOSES_AFTER_START: () => '판매 종료는 공연 시작보다 늦을 수 없습니다.',
  SECTION_NAMES_NOT_UNIQUE: () => '구역 이름이 서로 달라야 합니다.',
  TOO_MANY_SEATS_PER_SCHEDULE: (e) => `한 회차의 좌석은 최대 ${e.maximum?.toLocaleString('ko')}석입니다.`,
  TOO_MANY_SEATS_PER_REQUEST: (e) => `한 번에 만들 수 있는 좌석은 (회차 수 × 좌석 수) 최대 ${e.maximum?.toLocaleString('ko')}석입니다. 회차는 나중에 추가하세요.`,
  NOTHING_TO_CHANGE: () => '바꿀 항목을 하나 이상 입력해 주세요.',
  too_small: (e) => (e.origin === 'string' && (e.minimum ?? 1) <= 1 ? '입력해 주세요.' : e.origin === 'array' ? `${e.minimum}개 이상 있어야 합니다.` : `${e.minimum} 이상이어야 합니다.`),
  too_big: (e) => (e.origin === 'string' ? `${e.maximum}자 이하로 입력해 주세요.` : e.origin === 'array' ? `${e.maximum}개 이하여야 합니다.` : `${e.maximum?.toLocaleString('ko')} 이하여야 합니다.`),
  invalid_type: () => '입력해 주세요.',
  invalid_format: () => '형식이 올바르지 않습니다.',
  invalid_value: () => '고를 수 있는 값이 아닙니다.',
  unrecognized_keys: () => '알 수 없는 항목이 있습니다.',
  default: () => '이 값을 확인해 주세요.',
};
