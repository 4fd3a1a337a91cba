"""Binance's error codes by number: the documented name and message of each.

Copied from Binance's COIN-M error-code page (``plugins/binance/spec/
binance-signing-and-errors.md``; a test compares the two), for tools that speak of errors
by name: the ``binance_mock`` test fixture answers ``error(task, "TOO_MANY_REQUESTS")``
with Binance's own body. Where Binance documents several messages for a code, the first
is kept; ``%s`` placeholders are left as documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["ERROR_CODES", "ErrorCode", "code_named"]


class ErrorCode(NamedTuple):
    """One documented error: its ``name`` and its ``msg``."""

    name: str
    msg: str


ERROR_CODES: Mapping[int, ErrorCode] = {
    -1000: ErrorCode("UNKNOWN", "An unknown error occured while processing the request."),
    -1001: ErrorCode(
        "DISCONNECTED", "Internal error; unable to process your request. Please try again."
    ),
    -1002: ErrorCode("UNAUTHORIZED", "You are not authorized to execute this request."),
    -1003: ErrorCode(
        "TOO_MANY_REQUESTS",
        "Too many requests; current limit is %s requests per minute. Please use the websocket for live updates to avoid polling the API.",
    ),
    -1004: ErrorCode("DUPLICATE_IP", "This IP is already on the white list"),
    -1005: ErrorCode("NO_SUCH_IP", "No such IP has been white listed"),
    -1006: ErrorCode(
        "UNEXPECTED_RESP",
        "An unexpected response was received from the message bus. Execution status unknown.",
    ),
    -1007: ErrorCode(
        "TIMEOUT",
        "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    ),
    -1008: ErrorCode(
        "Request Throttled",
        "Server is currently overloaded with other requests. Please try again in a few minutes.",
    ),
    -1010: ErrorCode("ERROR_MSG_RECEIVED", "ERROR_MSG_RECEIVED."),
    -1011: ErrorCode("NON_WHITE_LIST", "This IP cannot access this route."),
    -1013: ErrorCode("INVALID_MESSAGE", "INVALID_MESSAGE."),
    -1014: ErrorCode("UNKNOWN_ORDER_COMPOSITION", "Unsupported order combination."),
    -1015: ErrorCode("TOO_MANY_ORDERS", "Too many new orders."),
    -1016: ErrorCode("SERVICE_SHUTTING_DOWN", "This service is no longer available."),
    -1020: ErrorCode("UNSUPPORTED_OPERATION", "This operation is not supported."),
    -1021: ErrorCode(
        "INVALID_TIMESTAMP", "Timestamp for this request is outside of the recvWindow."
    ),
    -1022: ErrorCode("INVALID_SIGNATURE", "Signature for this request is not valid."),
    -1023: ErrorCode("START_TIME_GREATER_THAN_END_TIME", "Start time is greater than end time."),
    -1100: ErrorCode("ILLEGAL_CHARS", "Illegal characters found in a parameter."),
    -1101: ErrorCode("TOO_MANY_PARAMETERS", "Too many parameters sent for this endpoint."),
    -1102: ErrorCode(
        "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
        "A mandatory parameter was not sent, was empty/null, or malformed.",
    ),
    -1103: ErrorCode("UNKNOWN_PARAM", "An unknown parameter was sent."),
    -1104: ErrorCode("UNREAD_PARAMETERS", "Not all sent parameters were read."),
    -1105: ErrorCode("PARAM_EMPTY", "A parameter was empty."),
    -1106: ErrorCode("PARAM_NOT_REQUIRED", "A parameter was sent when not required."),
    -1108: ErrorCode("BAD_ASSET", "Invalid asset."),
    -1109: ErrorCode("BAD_ACCOUNT", "Invalid account."),
    -1110: ErrorCode("BAD_INSTRUMENT_TYPE", "Invalid symbolType."),
    -1111: ErrorCode("BAD_PRECISION", "Precision is over the maximum defined for this asset."),
    -1112: ErrorCode("NO_DEPTH", "No orders on book for symbol."),
    -1113: ErrorCode("WITHDRAW_NOT_NEGATIVE", "Withdrawal amount must be negative."),
    -1114: ErrorCode("TIF_NOT_REQUIRED", "TimeInForce parameter sent when not required."),
    -1115: ErrorCode("INVALID_TIF", "Invalid timeInForce."),
    -1116: ErrorCode("INVALID_ORDER_TYPE", "Invalid orderType."),
    -1117: ErrorCode("INVALID_SIDE", "Invalid side."),
    -1118: ErrorCode("EMPTY_NEW_CL_ORD_ID", "New client order ID was empty."),
    -1119: ErrorCode("EMPTY_ORG_CL_ORD_ID", "Original client order ID was empty."),
    -1120: ErrorCode("BAD_INTERVAL", "Invalid interval."),
    -1121: ErrorCode("BAD_SYMBOL", "Invalid symbol."),
    -1125: ErrorCode(
        "INVALID_LISTEN_KEY",
        "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`",
    ),
    -1127: ErrorCode("MORE_THAN_XX_HOURS", "Lookup interval is too big."),
    -1128: ErrorCode("OPTIONAL_PARAMS_BAD_COMBO", "Combination of optional parameters invalid."),
    -1130: ErrorCode("INVALID_PARAMETER", "Invalid data sent for a parameter."),
    -1136: ErrorCode("INVALID_NEW_ORDER_RESP_TYPE", "Invalid newOrderRespType."),
    -2010: ErrorCode("NEW_ORDER_REJECTED", "NEW_ORDER_REJECTED"),
    -2011: ErrorCode("CANCEL_REJECTED", "CANCEL_REJECTED"),
    -2013: ErrorCode("NO_SUCH_ORDER", "Order does not exist."),
    -2014: ErrorCode("BAD_API_KEY_FMT", "API-key format invalid."),
    -2015: ErrorCode("REJECTED_MBX_KEY", "Invalid API-key, IP, or permissions for action."),
    -2016: ErrorCode(
        "NO_TRADING_WINDOW",
        "No trading window could be found for the symbol. Try ticker/24hrs instead.",
    ),
    -2018: ErrorCode("BALANCE_NOT_SUFFICIENT", "Balance is insufficient."),
    -2019: ErrorCode("MARGIN_NOT_SUFFICIEN", "Margin is insufficient."),
    -2020: ErrorCode("UNABLE_TO_FILL", "Unable to fill."),
    -2021: ErrorCode("ORDER_WOULD_IMMEDIATELY_TRIGGER", "Order would immediately trigger."),
    -2022: ErrorCode("REDUCE_ONLY_REJECT", "ReduceOnly Order is rejected."),
    -2023: ErrorCode("USER_IN_LIQUIDATION", "User in liquidation mode now."),
    -2024: ErrorCode("POSITION_NOT_SUFFICIENT", "Position is not sufficient."),
    -2025: ErrorCode("MAX_OPEN_ORDER_EXCEEDED", "Reach max open order limit."),
    -2026: ErrorCode(
        "REDUCE_ONLY_ORDER_TYPE_NOT_SUPPORTED", "This OrderType is not supported when reduceOnly."
    ),
    -2027: ErrorCode(
        "MAX_LEVERAGE_RATIO", "Exceeded the maximum allowable position at current leverage."
    ),
    -2028: ErrorCode(
        "MIN_LEVERAGE_RATIO", "Leverage is smaller than permitted: insufficient margin balance."
    ),
    -4000: ErrorCode("INVALID_ORDER_STATUS", "Invalid order status."),
    -4001: ErrorCode("PRICE_LESS_THAN_ZERO", "Price less than 0."),
    -4002: ErrorCode("PRICE_GREATER_THAN_MAX_PRICE", "Price greater than max price."),
    -4003: ErrorCode("QTY_LESS_THAN_ZERO", "Quantity less than zero."),
    -4004: ErrorCode("QTY_LESS_THAN_MIN_QTY", "Quantity less than min quantity."),
    -4005: ErrorCode("QTY_GREATER_THAN_MAX_QTY", "Quantity greater than max quantity."),
    -4006: ErrorCode("STOP_PRICE_LESS_THAN_ZERO", "Stop price less than zero."),
    -4007: ErrorCode("STOP_PRICE_GREATER_THAN_MAX_PRICE", "Stop price greater than max price."),
    -4008: ErrorCode("TICK_SIZE_LESS_THAN_ZERO", "Tick size less than zero."),
    -4009: ErrorCode("MAX_PRICE_LESS_THAN_MIN_PRICE", "Max price less than min price."),
    -4010: ErrorCode("MAX_QTY_LESS_THAN_MIN_QTY", "Max qty less than min qty."),
    -4011: ErrorCode("STEP_SIZE_LESS_THAN_ZERO", "Step size less than zero."),
    -4012: ErrorCode("MAX_NUM_ORDERS_LESS_THAN_ZERO", "Max mum orders less than zero."),
    -4013: ErrorCode("PRICE_LESS_THAN_MIN_PRICE", "Price less than min price."),
    -4014: ErrorCode("PRICE_NOT_INCREASED_BY_TICK_SIZE", "Price not increased by tick size."),
    -4015: ErrorCode("INVALID_CL_ORD_ID_LEN", "Client order id is not valid."),
    -4016: ErrorCode(
        "PRICE_HIGHTER_THAN_MULTIPLIER_UP", "Price is higher than mark price multiplier cap."
    ),
    -4017: ErrorCode("MULTIPLIER_UP_LESS_THAN_ZERO", "Multiplier up less than zero."),
    -4018: ErrorCode("MULTIPLIER_DOWN_LESS_THAN_ZERO", "Multiplier down less than zero."),
    -4019: ErrorCode("COMPOSITE_SCALE_OVERFLOW", "Composite scale too large."),
    -4020: ErrorCode(
        "TARGET_STRATEGY_INVALID", "Target strategy invalid for orderType '%s',reduceOnly '%b'."
    ),
    -4021: ErrorCode("INVALID_DEPTH_LIMIT", "Invalid depth limit."),
    -4022: ErrorCode("WRONG_MARKET_STATUS", "market status sent is not valid."),
    -4023: ErrorCode("QTY_NOT_INCREASED_BY_STEP_SIZE", "Qty not increased by step size."),
    -4024: ErrorCode(
        "PRICE_LOWER_THAN_MULTIPLIER_DOWN", "Price is lower than mark price multiplier floor."
    ),
    -4025: ErrorCode("MULTIPLIER_DECIMAL_LESS_THAN_ZERO", "Multiplier decimal less than zero."),
    -4026: ErrorCode("COMMISSION_INVALID", "Commission invalid."),
    -4027: ErrorCode("INVALID_ACCOUNT_TYPE", "Invalid account type."),
    -4028: ErrorCode("INVALID_LEVERAGE", "Invalid leverage"),
    -4029: ErrorCode("INVALID_TICK_SIZE_PRECISION", "Tick size precision is invalid."),
    -4030: ErrorCode("INVALID_STEP_SIZE_PRECISION", "Step size precision is invalid."),
    -4031: ErrorCode("INVALID_WORKING_TYPE", "Invalid parameter working type"),
    -4032: ErrorCode("EXCEED_MAX_CANCEL_ORDER_SIZE", "Exceed maximum cancel order size."),
    -4033: ErrorCode("INSURANCE_ACCOUNT_NOT_FOUND", "Insurance account not found."),
    -4044: ErrorCode("INVALID_BALANCE_TYPE", "Balance Type is invalid."),
    -4045: ErrorCode("MAX_STOP_ORDER_EXCEEDED", "Reach max stop order limit."),
    -4046: ErrorCode("NO_NEED_TO_CHANGE_MARGIN_TYPE", "No need to change margin type."),
    -4047: ErrorCode(
        "THERE_EXISTS_OPEN_ORDERS", "Margin type cannot be changed if there exists open orders."
    ),
    -4048: ErrorCode(
        "THERE_EXISTS_QUANTITY", "Margin type cannot be changed if there exists position."
    ),
    -4049: ErrorCode(
        "ADD_ISOLATED_MARGIN_REJECT", "Add margin only support for isolated position."
    ),
    -4050: ErrorCode("CROSS_BALANCE_INSUFFICIENT", "Cross balance insufficient."),
    -4051: ErrorCode("ISOLATED_BALANCE_INSUFFICIENT", "Isolated balance insufficient."),
    -4052: ErrorCode("NO_NEED_TO_CHANGE_AUTO_ADD_MARGIN", "No need to change auto add margin."),
    -4053: ErrorCode(
        "AUTO_ADD_CROSSED_MARGIN_REJECT", "Auto add margin only support for isolated position."
    ),
    -4054: ErrorCode(
        "ADD_ISOLATED_MARGIN_NO_POSITION_REJECT", "Cannot add position margin: position is 0."
    ),
    -4055: ErrorCode("AMOUNT_MUST_BE_POSITIVE", "Amount must be positive."),
    -4056: ErrorCode("INVALID_API_KEY_TYPE", "Invalid api key type."),
    -4057: ErrorCode("INVALID_RSA_PUBLIC_KEY", "Invalid api public key"),
    -4058: ErrorCode("MAX_PRICE_TOO_LARGE", "maxPrice and priceDecimal too large,please check."),
    -4059: ErrorCode("NO_NEED_TO_CHANGE_POSITION_SIDE", "No need to change position side."),
    -4060: ErrorCode("INVALID_POSITION_SIDE", "Invalid position side."),
    -4061: ErrorCode(
        "POSITION_SIDE_NOT_MATCH", "Order's position side does not match user's setting."
    ),
    -4062: ErrorCode("REDUCE_ONLY_CONFLICT", "Invalid or improper reduceOnly value."),
    -4067: ErrorCode(
        "POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS",
        "Position side cannot be changed if there exists open orders.",
    ),
    -4068: ErrorCode(
        "POSITION_SIDE_CHANGE_EXISTS_QUANTITY",
        "Position side cannot be changed if there exists position.",
    ),
    -4082: ErrorCode("INVALID_BATCH_PLACE_ORDER_SIZE", "Invalid number of batch place orders."),
    -4083: ErrorCode("PLACE_BATCH_ORDERS_FAIL", "Fail to place batch orders."),
    -4084: ErrorCode("UPCOMING_METHOD", "Method is not allowed currently. Upcoming soon."),
    -4086: ErrorCode("INVALID_PRICE_SPREAD_THRESHOLD", "Invalid price spread threshold."),
    -4087: ErrorCode("INVALID_PAIR", "Invalid pair."),
    -4088: ErrorCode("INVALID_TIME_INTERVAL", "Invalid time interval."),
    -4089: ErrorCode("REDUCE_ONLY_ORDER_PERMISSION", "User can only place reduce only order."),
    -4090: ErrorCode("NO_PLACE_ORDER_PERMISSION", "User can not place order currently."),
    -4104: ErrorCode("INVALID_CONTRACT_TYPE", "Invalid contract type."),
    -4110: ErrorCode("INVALID_CLIENT_TRAN_ID_LEN", "clientTranId is not valid."),
    -4111: ErrorCode("DUPLICATED_CLIENT_TRAN_ID", "clientTranId is duplicated."),
    -4112: ErrorCode(
        "REDUCE_ONLY_MARGIN_CHECK_FAILED",
        "ReduceOnly Order Failed. Please check your existing position and open orders.",
    ),
    -4113: ErrorCode(
        "MARKET_ORDER_REJECT",
        "The counterparty's best price does not meet the PERCENT_PRICE filter limit.",
    ),
    -4120: ErrorCode(
        "STOP_ORDER_SWITCH_ALGO",
        "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
    ),
    -4135: ErrorCode("INVALID_ACTIVATION_PRICE", "Invalid activation price."),
    -4137: ErrorCode(
        "QUANTITY_EXISTS_WITH_CLOSE_POSITION",
        "Quantity must be zero with closePosition equals true.",
    ),
    -4138: ErrorCode(
        "REDUCE_ONLY_MUST_BE_TRUE", "Reduce only must be true with closePosition equals true."
    ),
    -4139: ErrorCode(
        "ORDER_TYPE_CANNOT_BE_MKT", "Order type can not be market if it's unable to cancel."
    ),
    -4142: ErrorCode(
        "STRATEGY_INVALID_TRIGGER_PRICE",
        "REJECT: take profit or stop order will be triggered immediately.",
    ),
    -4150: ErrorCode(
        "ISOLATED_LEVERAGE_REJECT_WITH_POSITION",
        "Leverage reduction is not supported in Isolated Margin Mode with open positions.",
    ),
    -4151: ErrorCode(
        "PRICE_HIGHTER_THAN_STOP_MULTIPLIER_UP", "Price is higher than stop price multiplier cap."
    ),
    -4152: ErrorCode(
        "PRICE_LOWER_THAN_STOP_MULTIPLIER_DOWN", "Price is lower than stop price multiplier floor."
    ),
    -4154: ErrorCode(
        "STOP_PRICE_HIGHER_THAN_PRICE_MULTIPLIER_LIMIT",
        "Stop price is higher than price multiplier cap.",
    ),
    -4155: ErrorCode(
        "STOP_PRICE_LOWER_THAN_PRICE_MULTIPLIER_LIMIT",
        "PStop price is lower than price multiplier floor.",
    ),
    -4178: ErrorCode(
        "MIN_NOTIONAL",
        "Order's notional must be no smaller than one (unless you choose reduce only)",
    ),
    -4192: ErrorCode("COOLING_OFF_PERIOD", "Trade forbidden due to Cooling-off Period."),
    -4194: ErrorCode(
        "ADJUST_LEVERAGE_KYC_FAILED",
        "Intermediate Personal Verification is required for adjusting leverage over 20x.",
    ),
    -4195: ErrorCode(
        "ADJUST_LEVERAGE_ONE_MONTH_FAILED",
        "More than 20x leverage is available one month after account registration.",
    ),
    -4196: ErrorCode("LIMIT_ORDER_ONLY", "Only limit order is supported."),
    -4197: ErrorCode("SAME_ORDER", "No need to modify the order."),
    -4198: ErrorCode("EXCEED_MAX_MODIFY_ORDER_LIMIT", "Exceed maximum modify order limit."),
    -4199: ErrorCode(
        "MOVE_ORDER_NOT_ALLOWED_SYMBOL_REASON",
        "Symbol is not in trading status. Order amendment is not permitted.",
    ),
    -4200: ErrorCode(
        "ADJUST_LEVERAGE_X_DAYS_FAILED",
        "More than 20x leverage is available 30 days after Futures account registration.",
    ),
    -4201: ErrorCode(
        "ADJUST_LEVERAGE_KYC_LIMIT", "Users in this country has limited adjust leverage."
    ),
    -4202: ErrorCode(
        "ADJUST_LEVERAGE_ACCOUNT_SYMBOL_FAILED",
        "Current symbol leverage cannot exceed 20 when using position limit adjustment service.",
    ),
    -4220: ErrorCode(
        "CANNOT_CHANGE_DUAL_SIDE",
        "The operation is rejected because the CM dual-side is not allowed to be different from UM dual-side.",
    ),
    -4188: ErrorCode(
        "ME_INVALID_TIMESTAMP", "Timestamp for this request is outside of the ME recvWindow."
    ),
    -4189: ErrorCode(
        "ACCOUNT_REDUCE_ONLY",
        "Restricted account permission: can only place reduceOnly order on the symbol.",
    ),
    -5021: ErrorCode(
        "FOK_ORDER_REJECT",
        "Due to the order could not be filled immediately, the FOK order has been rejected.",
    ),
    -5022: ErrorCode(
        "GTX_ORDER_REJECT",
        "Due to the order could not be executed as maker, the Post Only order will be rejected.",
    ),
    -5024: ErrorCode(
        "MOVE_ORDER_NOT_ALLOWED_SYMBOL_REASON",
        "Symbol is not in trading status. Order amendment is not permitted.",
    ),
    -5025: ErrorCode("LIMIT_ORDER_ONLY", "Only limit order is supported."),
    -5026: ErrorCode("Exceed_Maximum_Modify_Order_Limit", "Exceed maximum modify order limit."),
    -5027: ErrorCode("SAME_ORDER", "No need to modify the order."),
    -5028: ErrorCode(
        "ME_RECVWINDOW_REJECT", "Timestamp for this request is outside of the ME recvWindow."
    ),
    -5029: ErrorCode("MODIFICATION_MIN_NOTIONAL", "Order's notional must be no smaller than %s"),
    -5037: ErrorCode("INVALID_PRICE_MATCH", "Invalid price match"),
    -5038: ErrorCode(
        "UNSUPPORTED_ORDER_TYPE_PRICE_MATCH",
        "Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT",
    ),
    -5039: ErrorCode("INVALID_SELF_TRADE_PREVENTION_MODE", "Invalid self trade prevention mode"),
    -5040: ErrorCode(
        "FUTURE_GOOD_TILL_DATE",
        "The goodTillDate timestamp must be greater than the current time plus 600 seconds and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)",
    ),
    -5041: ErrorCode("BBO_ORDER_REJECT", "No depth matches this BBO order"),
    -5043: ErrorCode(
        "Existing_Pending_Modification", "A pending modification already exists for this order."
    ),
}


def code_named(name: str) -> int:
    """The code of the error called ``name`` (``"TOO_MANY_REQUESTS"`` is -1003).

    A name Binance gives to several codes is refused as ambiguous: pass the number.
    """
    codes = [code for code, error in ERROR_CODES.items() if error.name == name]
    if len(codes) == 1:
        return codes[0]
    if codes:
        raise ValueError(f"{name!r} names several Binance errors {codes}: pass the code")
    raise ValueError(f"no Binance error is called {name!r}")
