/**
 * The time zones PagerDuty's REST API accepts for schedules and users: its own list
 * (https://developer.pagerduty.com/docs/1afe25e9c94cb-types#time-zone), not every IANA name. The
 * Terraform provider under @pulumi/pagerduty checks against the same list, so a zone outside it
 * fails `wk deploy` at the preview ("is a not valid input"), after the change was merged.
 */
export const PAGERDUTY_TIME_ZONES: ReadonlySet<string> = new Set([
  "Africa/Algiers", "Africa/Cairo", "Africa/Casablanca", "Africa/Harare", "Africa/Johannesburg",
  "Africa/Monrovia", "Africa/Nairobi", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Caracas",
  "America/Chicago", "America/Chihuahua", "America/Denver", "America/Godthab", "America/Guatemala",
  "America/Guyana", "America/Halifax", "America/Indiana/Indianapolis", "America/Juneau", "America/La_Paz",
  "America/Lima", "America/Los_Angeles", "America/Mazatlan", "America/Mexico_City", "America/Monterrey",
  "America/Montevideo", "America/New_York", "America/Phoenix", "America/Puerto_Rico", "America/Regina",
  "America/Santiago", "America/Sao_Paulo", "America/St_Johns", "America/Tijuana", "Asia/Almaty",
  "Asia/Baghdad", "Asia/Baku", "Asia/Bangkok", "Asia/Chongqing", "Asia/Colombo", "Asia/Dhaka",
  "Asia/Hong_Kong", "Asia/Irkutsk", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Kabul", "Asia/Kamchatka",
  "Asia/Karachi", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Krasnoyarsk", "Asia/Kuala_Lumpur", "Asia/Kuwait",
  "Asia/Magadan", "Asia/Muscat", "Asia/Novosibirsk", "Asia/Rangoon", "Asia/Riyadh", "Asia/Seoul",
  "Asia/Shanghai", "Asia/Singapore", "Asia/Srednekolymsk", "Asia/Taipei", "Asia/Tashkent", "Asia/Tbilisi",
  "Asia/Tehran", "Asia/Tokyo", "Asia/Ulaanbaatar", "Asia/Urumqi", "Asia/Vladivostok", "Asia/Yakutsk",
  "Asia/Yekaterinburg", "Asia/Yerevan", "Atlantic/Azores", "Atlantic/Cape_Verde", "Atlantic/South_Georgia",
  "Australia/Adelaide", "Australia/Brisbane", "Australia/Darwin", "Australia/Hobart", "Australia/Melbourne",
  "Australia/Perth", "Australia/Sydney", "Etc/GMT+12", "Etc/UTC", "Europe/Amsterdam", "Europe/Athens",
  "Europe/Belgrade", "Europe/Berlin", "Europe/Bratislava", "Europe/Brussels", "Europe/Bucharest",
  "Europe/Budapest", "Europe/Copenhagen", "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul",
  "Europe/Kaliningrad", "Europe/Kiev", "Europe/Lisbon", "Europe/Ljubljana", "Europe/London", "Europe/Madrid",
  "Europe/Minsk", "Europe/Moscow", "Europe/Paris", "Europe/Prague", "Europe/Riga", "Europe/Rome",
  "Europe/Samara", "Europe/Sarajevo", "Europe/Skopje", "Europe/Sofia", "Europe/Stockholm", "Europe/Tallinn",
  "Europe/Vienna", "Europe/Vilnius", "Europe/Volgograd", "Europe/Warsaw", "Europe/Zagreb", "Europe/Zurich",
  "Pacific/Apia", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Fakaofo", "Pacific/Fiji",
  "Pacific/Guadalcanal", "Pacific/Guam", "Pacific/Honolulu", "Pacific/Majuro", "Pacific/Midway",
  "Pacific/Noumea", "Pacific/Pago_Pago", "Pacific/Port_Moresby", "Pacific/Tongatapu",
]);

const UTC = "Etc/UTC";

/**
 * IANA names for the very same zone as one on PagerDuty's list (links in the tz database): the
 * program sends PagerDuty's spelling, so a project may write the name its people know ("UTC",
 * "Europe/Kyiv"). Only exact links are here; a zone that merely shares today's offset is not.
 */
const SAME_ZONE: Readonly<Record<string, string>> = {
  UTC, "Etc/UCT": UTC, UCT: UTC, "Etc/Universal": UTC, Universal: UTC, "Etc/Zulu": UTC, Zulu: UTC,
  GMT: UTC, "Etc/GMT": UTC, "Etc/GMT0": UTC, "Etc/GMT+0": UTC, "Etc/GMT-0": UTC, GMT0: UTC, Greenwich: UTC, "Etc/Greenwich": UTC,
  "Asia/Calcutta": "Asia/Kolkata", "Europe/Kyiv": "Europe/Kiev", "Asia/Yangon": "Asia/Rangoon", "America/Nuuk": "America/Godthab",
  "Asia/Katmandu": "Asia/Kathmandu", "America/Buenos_Aires": "America/Argentina/Buenos_Aires", "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Fort_Wayne": "America/Indiana/Indianapolis", "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Pacific/Samoa": "Pacific/Pago_Pago",
  "US/Samoa": "Pacific/Pago_Pago", "Asia/Istanbul": "Europe/Istanbul", "Turkey": "Europe/Istanbul",
};

/** The name PagerDuty takes for a zone, or undefined when PagerDuty has no such zone. */
export function pagerdutyTimeZone(zone: string): string | undefined {
  if (PAGERDUTY_TIME_ZONES.has(zone)) return zone;
  return SAME_ZONE[zone];
}
