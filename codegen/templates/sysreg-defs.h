#ifndef __ASM_SYSREG_DEFS_H
#define __ASM_SYSREG_DEFS_H

/* Generated file - do not edit */

{% for item in self.items() -%}
{% if let Some(e) = item.encoding -%}
#define {{ item.define("REG_", "")|safe }}S{{ e.op0|safe }}_{{ e.op1|safe }}_C{{ e.crn|safe }}_C{{ e.crm|safe }}_{{ e.op2|safe }}
#define {{ item.define("SYS_", "")|safe }}sys_reg({{ e.op0|safe }}, {{ e.op1|safe }}, {{ e.crn|safe }}, {{ e.crm|safe }}, {{ e.op2|safe }})
#define {{ item.define("SYS_", "_Op0")|safe }}{{ e.op0|safe }}
#define {{ item.define("SYS_", "_Op1")|safe }}{{ e.op1|safe }}
#define {{ item.define("SYS_", "_CRn")|safe }}{{ e.crn|safe }}
#define {{ item.define("SYS_", "_CRm")|safe }}{{ e.crm|safe }}
#define {{ item.define("SYS_", "_Op2")|safe }}{{ e.op2|safe }}

{% endif -%}
{% for layout in item.layouts() -%}
{% for f in layout.fields() -%}
#define {{ f.define("")|safe }}{{ f.genmask|safe }}
#define {{ f.define("_MASK")|safe }}{{ f.genmask|safe }}
#define {{ f.define("_SHIFT")|safe }}{{ f.bits.lsb|safe }}
#define {{ f.define("_WIDTH")|safe }}{{ f.bits.width()|safe }}
{% if let Some(signed) = f.signed() -%}
#define {{ f.define("_SIGNED")|safe }}{{ signed }}
{% endif -%}
{% for v in f.values() -%}
#define {{ f.define_value(v)|safe }}UL({{ v.spelling|safe }})
{% endfor %}
{% endfor -%}
#define {{ layout.define("_RES0")|safe }}({{ layout.res0()|safe }})
#define {{ layout.define("_RES1")|safe }}({{ layout.res1()|safe }})
#define {{ layout.define("_UNKN")|safe }}({{ layout.unkn()|safe }})

{% endfor -%}
{% if let Some(target) = item.fields_from -%}
/* For {{ item.name }} fields see {{ target }} */

{% endif -%}
{% endfor -%}
#endif /* __ASM_SYSREG_DEFS_H */
